// 1.4 gradient_descent (placeholder while the experiment is written).
#include "gradient_descent.hpp"
#include "mlc/cli.hpp"
#include "mlc/report.hpp"
namespace {
const mlc::LessonInfo kLesson{"gradient_descent", "level1_math", "1.4", "Gradient descent",
                              "Gradient descent, momentum and line search.", "report.md, metrics.json"};
void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  report.write();
}
}  // namespace
int main(int argc, char** argv) { return mlc::lesson_main(argc, argv, kLesson, run); }
