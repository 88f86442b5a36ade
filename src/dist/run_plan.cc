#include "freshet/run_plan.hpp"

#include "freshet/error.hpp"

namespace freshet {

nlohmann::json RunPlanJson(const RunPlan& plan) {
  nlohmann::json j = {{"stop", plan.stop}};
  if (plan.stop) {
    j["exit_code"] = plan.exit_code;
    j["reason"] = plan.reason;
    return j;
  }
  j["inputs"] = nlohmann::json::array();
  for (const auto& in : plan.inputs) j["inputs"].push_back(InputFileToJson(in));
  j["champion"] = plan.champion ? nlohmann::json(plan.champion->number) : nlohmann::json();
  return j;
}

void ShareRunPlan(Communicator& comm, const std::string& model,
                  const std::function<Registry()>& open_registry, RunPlan* plan,
                  std::optional<Registry>* follower) {
  std::string text = comm.rank() == 0 ? RunPlanJson(*plan).dump() : "";
  comm.Broadcast(&text, 0);
  if (comm.rank() == 0) return;
  const nlohmann::json j = nlohmann::json::parse(text);
  *plan = RunPlan();
  plan->stop = j.at("stop").get<bool>();
  if (plan->stop) {
    plan->exit_code = j.at("exit_code").get<int>();
    plan->reason = j.at("reason").get<std::string>();
    return;
  }
  for (const auto& in : j.at("inputs")) plan->inputs.push_back(InputFileFromJson(in));
  follower->emplace(open_registry());
  if (j.at("champion").is_null()) return;
  const int64_t number = j.at("champion").get<int64_t>();
  for (auto& v : (*follower)->Versions(model)) {
    if (v.number == number) plan->champion = v;
  }
  if (!plan->champion) {
    throw IoError("rank " + std::to_string(comm.rank()) + ": " + model + " version " +
                  std::to_string(number) + " (rank 0's champion) not found");
  }
}

}  // namespace freshet
