// mlc/eigen_instances.hpp: Eigen's dense decompositions of Eigen::MatrixXd, compiled once.
//
// A translation unit that constructs an Eigen::BDCSVD<Eigen::MatrixXd> instantiates and
// optimises the whole divide-and-conquer SVD (bidiagonalisation, deflation, the secular
// equation, Householder products): with GCC 12 at -O2 that alone is about 30 s of compile
// time, paid again by every test, program and library that uses it. The same holds, less
// dramatically, for the other decompositions. The `extern template` declarations below say
// that these instances exist already (compiled once in common/src/eigen_instances_*.cpp),
// so a lesson's translation units call them instead of compiling them again.
//
// Nothing changes in what the code computes: the same Eigen source, built with the same
// flags, is linked instead of inlined. Decompositions of other types (float, fixed sizes,
// a Ref or an expression as the compute() argument) are instantiated where they are used,
// as before. Every lesson target sees this header through the precompiled header
// (cmake/Lesson.cmake); including it directly is harmless.
#pragma once

#include <Eigen/Dense>

// Each list is written once: LIST(extern) declares the instances, LIST() defines them.
// A class's explicit instantiation leaves out its member templates, so compute() and the
// solve kernel _solve_impl() (what `dec.solve(b)` runs for a VectorXd or MatrixXd b) are
// listed for the argument types the lessons pass.
#define MLC_EIGEN_SOLVE(EXTERN, DEC)                                                           \
  EXTERN template void DEC::_solve_impl<Eigen::VectorXd, Eigen::VectorXd>(                     \
      const Eigen::VectorXd&, Eigen::VectorXd&) const;                                         \
  EXTERN template void DEC::_solve_impl<Eigen::MatrixXd, Eigen::MatrixXd>(                     \
      const Eigen::MatrixXd&, Eigen::MatrixXd&) const;
#define MLC_EIGEN_COMPUTE(EXTERN, DEC, ...)                                                    \
  EXTERN template DEC& DEC::compute<Eigen::MatrixXd>(const Eigen::EigenBase<Eigen::MatrixXd>&  \
                                                         __VA_OPT__(, ) __VA_ARGS__);

#define MLC_EIGEN_DECOMPOSITIONS(EXTERN)                                                       \
  EXTERN template class Eigen::LLT<Eigen::MatrixXd>;                                         \
  MLC_EIGEN_COMPUTE(EXTERN, Eigen::LLT<Eigen::MatrixXd>)                                       \
  MLC_EIGEN_SOLVE(EXTERN, Eigen::LLT<Eigen::MatrixXd>)                                         \
  EXTERN template class Eigen::LDLT<Eigen::MatrixXd>;                                        \
  MLC_EIGEN_COMPUTE(EXTERN, Eigen::LDLT<Eigen::MatrixXd>)                                      \
  MLC_EIGEN_SOLVE(EXTERN, Eigen::LDLT<Eigen::MatrixXd>)                                        \
  EXTERN template class Eigen::PartialPivLU<Eigen::MatrixXd>;                                \
  MLC_EIGEN_SOLVE(EXTERN, Eigen::PartialPivLU<Eigen::MatrixXd>)                                \
  EXTERN template class Eigen::FullPivLU<Eigen::MatrixXd>;                                   \
  MLC_EIGEN_SOLVE(EXTERN, Eigen::FullPivLU<Eigen::MatrixXd>)                                   \
  EXTERN template class Eigen::HouseholderQR<Eigen::MatrixXd>;                               \
  MLC_EIGEN_SOLVE(EXTERN, Eigen::HouseholderQR<Eigen::MatrixXd>)                               \
  EXTERN template class Eigen::ColPivHouseholderQR<Eigen::MatrixXd>;                         \
  MLC_EIGEN_COMPUTE(EXTERN, Eigen::ColPivHouseholderQR<Eigen::MatrixXd>)                       \
  MLC_EIGEN_SOLVE(EXTERN, Eigen::ColPivHouseholderQR<Eigen::MatrixXd>)                         \
  EXTERN template class Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd>;             \
  MLC_EIGEN_COMPUTE(EXTERN, Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd>)           \
  MLC_EIGEN_SOLVE(EXTERN, Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd>)

#define MLC_EIGEN_SVDS(EXTERN)                                                                 \
  EXTERN template class Eigen::JacobiSVD<Eigen::MatrixXd>;                                   \
  MLC_EIGEN_SOLVE(EXTERN, Eigen::SVDBase<Eigen::JacobiSVD<Eigen::MatrixXd>>)                   \
  EXTERN template class Eigen::BDCSVD<Eigen::MatrixXd>;                                      \
  MLC_EIGEN_SOLVE(EXTERN, Eigen::SVDBase<Eigen::BDCSVD<Eigen::MatrixXd>>)

// The 2 x 2 solvers are there because the lessons take eigenvalues of 2 x 2 Hessians and
// covariances, and a fixed-size instance is compiled anew like any other (10 s in clang).
#define MLC_EIGEN_EIGENSOLVERS(EXTERN)                                                         \
  EXTERN template class Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>;                      \
  MLC_EIGEN_COMPUTE(EXTERN, Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>, int)               \
  EXTERN template class Eigen::EigenSolver<Eigen::MatrixXd>;                                 \
  MLC_EIGEN_COMPUTE(EXTERN, Eigen::EigenSolver<Eigen::MatrixXd>, bool)                         \
  EXTERN template class Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d>;                      \
  EXTERN template Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d>&                              \
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d>::compute<Eigen::Matrix2d>(                    \
      const Eigen::EigenBase<Eigen::Matrix2d>&, int);                                          \
  EXTERN template class Eigen::EigenSolver<Eigen::Matrix2d>;                                 \
  EXTERN template Eigen::EigenSolver<Eigen::Matrix2d>&                                         \
  Eigen::EigenSolver<Eigen::Matrix2d>::compute<Eigen::Matrix2d>(                               \
      const Eigen::EigenBase<Eigen::Matrix2d>&, bool);

#ifndef MLC_EIGEN_INSTANTIATING
MLC_EIGEN_DECOMPOSITIONS(extern)
MLC_EIGEN_SVDS(extern)
MLC_EIGEN_EIGENSOLVERS(extern)
#endif
