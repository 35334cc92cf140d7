// Multi-device execution and AUTO: choosing devices, excluding one, running on all of them at
// once with CUMULATIVE_THROUGHPUT, what replaced MULTI, and keeping every device fed (the C++
// twin of auto.py: the same sections, the same observations).
//
// Run it yourself:  python scripts/cpp.py run guide/auto --device AUTO --model mobilenet
// (--device GPU runs AUTO:GPU; --model also takes your own .xml or .onnx image model with one
// static input.)
#include <algorithm>
#include <cctype>
#include <sstream>

#include <openvino/runtime/auto/properties.hpp>

#include "snippet.hpp"

using perfguide::join;
using perfguide::json;
using perfguide::text;

namespace {

constexpr int FRAMES = 30;  // frames per timed round
constexpr int ROUNDS = 5;   // interleaved rounds per configuration; the best is kept

// "AUTO..." as given, or AUTO over one real device ("GPU" -> "AUTO:GPU").
std::string auto_device(const std::string& device) {
    if (device.rfind("AUTO", 0) == 0) return device;
    const std::string family = device.substr(0, device.find(':'));
    if (family == "HETERO" || family == "MULTI" || family == "BATCH")
        throw perfguide::UsageError("this page is about AUTO over real devices, not " + device);
    return "AUTO:" + device;
}

json run(const perfguide::Args& args) {
    const std::string model_path = args.model;
    const std::string device = auto_device(args.device);
    json result = {{"device", device}};

    // --8<-- [start:select]
    ov::Core core;
    std::shared_ptr<ov::Model> model = core.read_model(model_path);

    // "AUTO": AUTO picks among all devices
    ov::CompiledModel compiled = core.compile_model(model, device);
    std::printf("devices here: %s; %s runs on %s\n",
                join(core.get_available_devices()).c_str(), device.c_str(),
                join(compiled.get_property(ov::execution_devices)).c_str());
    // --8<-- [end:select]
    result["available_devices"] = core.get_available_devices();
    result["select_execution_devices"] = compiled.get_property(ov::execution_devices);
    if (model->inputs().size() != 1 || model->input(0).get_partial_shape().is_dynamic())
        throw perfguide::UsageError("this page needs a model with one static input: " +
                                    model_path);
    ov::Tensor frame = perfguide::random_tensor(model->input(0).get_shape());

    // --8<-- [start:priorities]
    // Candidates in priority order, fastest first (here: every GPU, then the CPU).
    // Two ways to say the same thing: in the device name, or with the priorities
    // property.
    std::vector<std::string> devices = core.get_available_devices();
    std::stable_partition(devices.begin(), devices.end(), [](const std::string& name) {
        return name.rfind("CPU", 0) != 0;
    });
    std::string candidates;
    for (const std::string& name : devices)
        candidates += (candidates.empty() ? "" : ",") + name;
    ov::CompiledModel by_name = core.compile_model(model, "AUTO:" + candidates);
    ov::CompiledModel by_property =
        core.compile_model(model, "AUTO", ov::device::priorities(candidates));
    std::printf("AUTO:%s runs on %s; priorities read back: %s\n", candidates.c_str(),
                join(by_name.get_property(ov::execution_devices)).c_str(),
                by_property.get_property(ov::device::priorities).c_str());
    // --8<-- [end:priorities]
    result["candidates"] = candidates;
    result["by_name_execution_devices"] = by_name.get_property(ov::execution_devices);
    result["by_property_execution_devices"] = by_property.get_property(ov::execution_devices);
    result["priorities_read_back"] = by_property.get_property(ov::device::priorities);

    // --8<-- [start:exclude]
    // "-CPU" takes the CPU out of AUTO's candidates; only do it where something else
    // is left.
    std::vector<std::string> here = core.get_available_devices();
    if (std::any_of(here.begin(), here.end(), [](const std::string& name) {
            return name.rfind("CPU", 0) != 0;
        })) {
        ov::CompiledModel without_cpu = core.compile_model(model, "AUTO:-CPU");
        std::printf("AUTO:-CPU runs on %s\n",
                    join(without_cpu.get_property(ov::execution_devices)).c_str());
    } else {
        std::printf("AUTO:-CPU: skipped, the CPU is the only device here\n");
    }
    // --8<-- [end:exclude]
    try {
        ov::CompiledModel excluded = core.compile_model(model, "AUTO:-CPU");
        result["exclude_cpu_execution_devices"] = excluded.get_property(ov::execution_devices);
        result["exclude_cpu_error"] = nullptr;
    } catch (const ov::Exception& error) {
        result["exclude_cpu_execution_devices"] = json::array();
        result["exclude_cpu_error"] = perfguide::last_line(error);
    }

    // --8<-- [start:cumulative]
    using ov::hint::PerformanceMode;
    ov::CompiledModel everywhere = core.compile_model(
        model, device,
        ov::hint::performance_mode(PerformanceMode::CUMULATIVE_THROUGHPUT));
    // {device: its own settings}
    ov::AnyMap each_device = everywhere.get_property(ov::device::properties.name())
                                 .as<ov::AnyMap>();
    std::printf("CUMULATIVE_THROUGHPUT runs on %s, wants %u requests in flight\n",
                join(everywhere.get_property(ov::execution_devices)).c_str(),
                everywhere.get_property(ov::optimal_number_of_infer_requests));
    for (const auto& [name, settings] : each_device) {
        const ov::AnyMap& own = settings.as<ov::AnyMap>();
        std::printf("  %s: %s, %s requests\n", name.c_str(),
                    own.at(ov::hint::performance_mode.name()).as<std::string>().c_str(),
                    own.at(ov::optimal_number_of_infer_requests.name())
                        .as<std::string>().c_str());
    }
    // --8<-- [end:cumulative]
    result["cumulative_execution_devices"] = everywhere.get_property(ov::execution_devices);
    result["cumulative_requests"] =
        everywhere.get_property(ov::optimal_number_of_infer_requests);
    result["cumulative_per_device_requests"] = json::object();
    result["cumulative_per_device_hints"] = json::object();
    for (const auto& [name, settings] : each_device) {
        const ov::AnyMap& own = settings.as<ov::AnyMap>();
        result["cumulative_per_device_requests"][name] =
            own.at(ov::optimal_number_of_infer_requests.name()).as<uint32_t>();
        result["cumulative_per_device_hints"][name] =
            own.at(ov::hint::performance_mode.name()).as<std::string>();
    }

    // --8<-- [start:schedule-policy]
    using ov::intel_auto::SchedulePolicy;
    // The policy that decides which device a request goes to, as compiled by default:
    SchedulePolicy default_policy =
        everywhere.get_property(ov::intel_auto::schedule_policy);
    std::printf("default schedule policy: %s\n", text(default_policy).c_str());
    // ROUND_ROBIN hands the requests to the devices in turn instead.
    ov::CompiledModel in_turn = core.compile_model(
        model, "AUTO:" + candidates,
        ov::hint::performance_mode(PerformanceMode::CUMULATIVE_THROUGHPUT),
        ov::intel_auto::schedule_policy(SchedulePolicy::ROUND_ROBIN));
    std::printf("asked for: %s\n",
                text(in_turn.get_property(ov::intel_auto::schedule_policy)).c_str());
    // --8<-- [end:schedule-policy]
    result["schedule_policy_default"] = text(default_policy);
    result["schedule_policy_read_back"] =
        text(in_turn.get_property(ov::intel_auto::schedule_policy));

    // --8<-- [start:model-priority]
    // Which devices take ov::hint::model_priority? Each lists what it supports.
    std::vector<std::pair<std::string, bool>> takes_priority;
    std::vector<std::string> names = core.get_available_devices();
    names.insert(names.end(), {"AUTO", "MULTI", "HETERO", "BATCH"});
    for (const std::string& name : names) {
        std::vector<ov::PropertyName> supported =
            core.get_property(name, ov::supported_properties);
        takes_priority.emplace_back(
            name, std::find(supported.begin(), supported.end(),
                            ov::hint::model_priority.name()) != supported.end());
    }
    std::string accepted;
    for (const auto& [name, takes] : takes_priority)
        if (takes) accepted += (accepted.empty() ? "" : ", ") + name;
    std::printf("model_priority accepted by: %s\n", accepted.c_str());
    // AUTO uses it to give the high-priority model the best device.
    ov::CompiledModel urgent = core.compile_model(
        model, "AUTO", ov::hint::model_priority(ov::hint::Priority::HIGH));
    std::printf("AUTO read back: %s\n",
                text(urgent.get_property(ov::hint::model_priority)).c_str());
    // --8<-- [end:model-priority]
    result["model_priority_devices"] = json::array();
    result["model_priority_refused_by"] = json::array();
    for (const auto& [name, takes] : takes_priority)
        result[takes ? "model_priority_devices" : "model_priority_refused_by"].push_back(name);
    result["model_priority_read_back"] = text(urgent.get_property(ov::hint::model_priority));

    // --8<-- [start:multi]
    // Still accepted; AUTO replaces it.
    ov::CompiledModel legacy = core.compile_model(model, "MULTI:" + candidates);
    ov::CompiledModel modern = core.compile_model(
        model, "AUTO:" + candidates,
        ov::hint::performance_mode(PerformanceMode::CUMULATIVE_THROUGHPUT));
    auto report = [](const char* name, ov::CompiledModel& each) {
        std::printf("%-28s runs on %s, %u requests, hint %s\n", name,
                    join(each.get_property(ov::execution_devices)).c_str(),
                    each.get_property(ov::optimal_number_of_infer_requests),
                    text(each.get_property(ov::hint::performance_mode)).c_str());
    };
    report("MULTI", legacy);
    report("AUTO, CUMULATIVE_THROUGHPUT", modern);
    // --8<-- [end:multi]
    result["multi_execution_devices"] = legacy.get_property(ov::execution_devices);
    result["multi_requests"] = legacy.get_property(ov::optimal_number_of_infer_requests);
    result["multi_hint"] = text(legacy.get_property(ov::hint::performance_mode));
    result["modern_execution_devices"] = modern.get_property(ov::execution_devices);
    result["modern_requests"] = modern.get_property(ov::optimal_number_of_infer_requests);
    result["multi_plugin"] = core.get_versions("MULTI").at("MULTI").description;
    // MULTI reads back THROUGHPUT whatever it was given; the devices underneath got the real
    // hint.
    ov::CompiledModel multi_latency = core.compile_model(
        model, "MULTI:" + candidates, ov::hint::performance_mode(PerformanceMode::LATENCY));
    result["multi_latency_hint_read_back"] =
        text(multi_latency.get_property(ov::hint::performance_mode));
    std::vector<std::string> device_hints;
    ov::AnyMap multi_devices =
        multi_latency.get_property(ov::device::properties.name()).as<ov::AnyMap>();
    for (const auto& [name, settings] : multi_devices)
        device_hints.push_back(settings.as<ov::AnyMap>()
                                   .at(ov::hint::performance_mode.name())
                                   .as<std::string>());
    std::sort(device_hints.begin(), device_hints.end());
    result["multi_latency_device_hints"] = device_hints;
    auto first_output = [&](ov::CompiledModel& compiled_model) {
        ov::InferRequest request = compiled_model.create_infer_request();
        request.set_input_tensor(frame);
        request.infer();
        return request.get_output_tensor(0);
    };
    ov::Tensor multi_out = first_output(legacy), modern_out = first_output(modern);
    result["multi_vs_auto_max_abs"] = perfguide::max_abs_diff(multi_out, modern_out);
    result["output_scale"] = perfguide::max_abs(modern_out);

    // --8<-- [start:frames-per-second]
    // Keep as many requests in flight as the compiled model asks for, started in the
    // order they were created.
    auto frames_per_second = [&](ov::CompiledModel& compiled_model, int frames) {
        auto jobs = compiled_model.get_property(ov::optimal_number_of_infer_requests);
        std::vector<ov::InferRequest> requests;
        for (uint32_t i = 0; i < jobs; ++i) {
            requests.push_back(compiled_model.create_infer_request());
            requests.back().set_input_tensor(frame);
            requests.back().infer();  // warm each one up
        }
        auto start = perfguide::Clock::now();
        for (int index = 0; index < frames; ++index) {
            // creation order, round and round
            ov::InferRequest& request = requests[index % jobs];
            request.wait();  // its previous frame is done
            request.start_async();
        }
        for (ov::InferRequest& request : requests) request.wait();
        return frames / perfguide::seconds_since(start);
    };

    const std::vector<PerformanceMode> modes = {PerformanceMode::LATENCY,
                                                PerformanceMode::THROUGHPUT,
                                                PerformanceMode::CUMULATIVE_THROUGHPUT};
    std::vector<ov::CompiledModel> by_mode;
    for (PerformanceMode mode : modes)
        by_mode.push_back(
            core.compile_model(model, device, ov::hint::performance_mode(mode)));
    std::vector<double> best(modes.size(), 0.0);
    // Alternate, so a burst of load on the machine does not favour one.
    for (int round = 0; round < ROUNDS; ++round)
        for (size_t m = 0; m < modes.size(); ++m)
            best[m] = std::max(best[m], frames_per_second(by_mode[m], FRAMES));
    for (size_t m = 0; m < modes.size(); ++m) {
        auto jobs = by_mode[m].get_property(ov::optimal_number_of_infer_requests);
        std::printf("%-22s on %s: %u requests, %.0f frames/s\n", text(modes[m]).c_str(),
                    join(by_mode[m].get_property(ov::execution_devices)).c_str(),
                    jobs, best[m]);
    }
    // --8<-- [end:frames-per-second]
    for (size_t m = 0; m < modes.size(); ++m) {
        std::string key = text(modes[m]);
        std::transform(key.begin(), key.end(), key.begin(), ::tolower);
        result[key + "_fps"] = best[m];
        result[key + "_requests"] =
            by_mode[m].get_property(ov::optimal_number_of_infer_requests);
        result[key + "_execution_devices"] = by_mode[m].get_property(ov::execution_devices);
    }
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    return perfguide::main(argc, argv, run, "The Multi-device and AUTO page's examples, in C++.");
}
