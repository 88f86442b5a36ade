// The evaluation benchmark's freshet side: the paired bootstrap of every binary metric of one
// comparison (challenger against champion), as EvaluateSet runs it in every retrain.
//
//   freshet_eval_bench ROWS.csv RESAMPLES REPEATS
//
// ROWS.csv: a header line, then label,score_a,score_b per row. Prints JSON: the rows, the
// resamples, the seconds of each repeat and the intervals of the last one.
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/metrics.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: freshet_eval_bench ROWS.csv RESAMPLES REPEATS\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::cerr << argv[1] << ": cannot read\n";
    return 1;
  }
  const int resamples = std::atoi(argv[2]);
  const int repeats = std::atoi(argv[3]);
  std::vector<float> y, a, b;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string f;
    std::getline(s, f, ',');
    y.push_back(std::stof(f));
    std::getline(s, f, ',');
    a.push_back(std::stof(f));
    std::getline(s, f, ',');
    b.push_back(std::stof(f));
  }
  const auto names = freshet::TaskMetricNames(freshet::Task::kBinary);
  nlohmann::json seconds = nlohmann::json::array(), intervals;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto out = freshet::PairedBootstraps(names, freshet::Task::kBinary, 0, a, b, y, {},
                                               resamples, 0, 0.95);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    intervals = nlohmann::json::object();
    for (size_t k = 0; k < names.size(); ++k) {
      intervals[names[k]] = {
          {"delta", out[k].delta}, {"lower", out[k].lower}, {"upper", out[k].upper}};
    }
  }
  std::cout << nlohmann::json({{"rows", y.size()},
                               {"resamples", resamples},
                               {"seconds", seconds},
                               {"intervals", intervals}})
                   .dump()
            << "\n";
  return 0;
}
