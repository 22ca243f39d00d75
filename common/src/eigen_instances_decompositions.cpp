// The explicit instances that mlc/eigen_instances.hpp declares extern: decompositions.
// Split in three files so that the two cores of a build compile them side by side.
#define MLC_EIGEN_INSTANTIATING
#include "mlc/eigen_instances.hpp"

MLC_EIGEN_DECOMPOSITIONS()
