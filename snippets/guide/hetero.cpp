// Heterogeneous execution: which device runs which operation, how HETERO splits a model into
// subgraphs, and what a split costs (the C++ twin of hetero.py: the same sections, the same
// observations).
//
// Run it yourself:  python scripts/cpp.py run guide/hetero --device HETERO:CPU --model mobilenet
// (--device GPU runs HETERO:GPU,CPU; --model also takes your own .xml or .onnx image model with
// one static input.)
#include <algorithm>
#include <limits>
#include <set>
#include <sstream>

#include "snippet.hpp"

using perfguide::join;
using perfguide::json;

namespace {

constexpr int RUNS = 20;   // timed inferences per configuration and round (after a warm-up)
constexpr int ROUNDS = 3;  // interleaved rounds; the best median of each configuration is kept

// "HETERO:..." as given, or HETERO built over a real device ("GPU" -> "HETERO:GPU,CPU").
std::string hetero_device(const std::string& device) {
    if (device.rfind("HETERO", 0) == 0) return device;
    const std::string family = device.substr(0, device.find(':'));
    if (family == "AUTO" || family == "MULTI" || family == "BATCH")
        throw perfguide::UsageError("this page is about HETERO over real devices, not " + device);
    return device.rfind("CPU", 0) == 0 ? "HETERO:CPU" : "HETERO:" + device + ",CPU";
}

json run(const perfguide::Args& args) {
    const std::string model_path = args.model;
    const std::string device = hetero_device(args.device);
    json result = {{"device", device}};

    // --8<-- [start:query]
    ov::Core core;
    std::shared_ptr<ov::Model> model = core.read_model(model_path);

    // {operation name: device that would run it}
    ov::SupportedOpsMap supported = core.query_model(model, device);
    std::map<std::string, int> per_device;
    for (const auto& [op_name, on] : supported) ++per_device[on];
    std::printf("%s:", device.c_str());
    for (const auto& [on, count] : per_device)
        std::printf(" %d operations on %s", count, on.c_str());
    std::vector<std::string> nowhere;
    for (const auto& op : model->get_ops())
        if (!supported.count(op->get_friendly_name()))
            nowhere.push_back(op->get_friendly_name());
    std::printf("\noperations no device in the list supports: %zu\n", nowhere.size());
    // --8<-- [end:query]
    result["query_per_device"] = per_device;
    result["model_operations"] = model->get_ops().size();
    result["unsupported_operations"] = nowhere.size();
    if (model->inputs().size() != 1 || model->input(0).get_partial_shape().is_dynamic())
        throw perfguide::UsageError("this page needs a model with one static input: " +
                                    model_path);
    ov::Tensor frame = perfguide::random_tensor(model->input(0).get_shape());

    // --8<-- [start:fallback]
    // The order of the list is the fallback order: the first device takes every
    // operation it supports, the next one takes what is left, and so on.
    // Two ways to say the same thing:
    ov::CompiledModel compiled = core.compile_model(model, device);  // "HETERO:GPU,CPU"
    const std::string priorities = device.substr(device.find(':') + 1);
    ov::CompiledModel same =
        core.compile_model(model, "HETERO", ov::device::priorities(priorities));

    // HETERO's own read-only property, by its name (no public C++ constant)
    auto submodels = [](const ov::CompiledModel& each) {
        return each.get_property("HETERO_NUMBER_OF_SUBMODELS").as<size_t>();
    };
    for (const ov::CompiledModel& each : {compiled, same})
        std::printf("runs on %s in %zu subgraph(s)\n",
                    join(each.get_property(ov::execution_devices)).c_str(),
                    submodels(each));
    // --8<-- [end:fallback]
    result["execution_devices"] = compiled.get_property(ov::execution_devices);
    result["priorities_execution_devices"] = same.get_property(ov::execution_devices);
    result["submodels"] = submodels(compiled);
    result["priorities_submodels"] = submodels(same);
    auto first_output = [&](ov::CompiledModel& compiled_model) {
        ov::InferRequest request = compiled_model.create_infer_request();
        request.set_input_tensor(frame);
        request.infer();
        return request.get_output_tensor(0);  // outlives the request
    };
    ov::Tensor reference = first_output(compiled);

    // --8<-- [start:gpu-then-cpu]
    std::vector<std::string> available = core.get_available_devices();
    if (std::find(available.begin(), available.end(), "GPU") != available.end()) {
        ov::SupportedOpsMap on_gpu = core.query_model(model, "HETERO:GPU,CPU");
        std::map<std::string, int> counts;
        for (const auto& [op_name, on] : on_gpu) ++counts[on];
        std::set<std::string> left_to_cpu;
        for (const auto& op : model->get_ops()) {
            auto found = on_gpu.find(op->get_friendly_name());
            if (found != on_gpu.end() && found->second == "CPU")
                left_to_cpu.insert(op->get_type_name());
        }
        std::printf("HETERO:GPU,CPU: %d on GPU, %d on CPU; the CPU takes:",
                    counts["GPU"], counts["CPU"]);
        for (const std::string& type : left_to_cpu) std::printf(" %s", type.c_str());
        ov::CompiledModel gpu_then_cpu = core.compile_model(model, "HETERO:GPU,CPU");
        std::printf("\n%zu subgraph(s) on %s\n", submodels(gpu_then_cpu),
                    join(gpu_then_cpu.get_property(ov::execution_devices)).c_str());
    }
    // --8<-- [end:gpu-then-cpu]
    result["gpu_section_ran"] =
        std::find(available.begin(), available.end(), "GPU") != available.end();

    // --8<-- [start:runtime-model]
    // the graph the devices really execute
    std::shared_ptr<const ov::Model> runtime = compiled.get_runtime_model();
    auto info = [](const std::shared_ptr<ov::Node>& op, const std::string& key) {
        return op->get_rt_info().at(key).as<std::string>();
    };
    std::vector<std::shared_ptr<ov::Node>> executed = runtime->get_ordered_ops();
    std::sort(executed.begin(), executed.end(), [&](const auto& a, const auto& b) {
        return std::stoi(info(a, "execOrder")) < std::stoi(info(b, "execOrder"));
    });
    std::map<std::string, int> layer_types, precisions;
    for (const auto& op : executed) {
        ++layer_types[info(op, "layerType")];
        ++precisions[info(op, "runtimePrecision")];
    }
    std::vector<std::pair<std::string, int>> common(layer_types.begin(),
                                                    layer_types.end());
    std::stable_sort(common.begin(), common.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::printf("%zu executed nodes; most common:", executed.size());
    for (size_t i = 0; i < 4 && i < common.size(); ++i)
        std::printf(" %s %d", common[i].first.c_str(), common[i].second);
    std::printf("\n");
    std::printf("runtime precisions:");
    for (const auto& [precision, count] : precisions)
        std::printf(" %s %d", precision.c_str(), count);
    std::printf("\n");
    for (size_t i = 0; i < 3 && i < executed.size(); ++i)
        std::printf("  #%s %s: %s in %s\n", info(executed[i], "execOrder").c_str(),
                    executed[i]->get_friendly_name().c_str(),
                    info(executed[i], "layerType").c_str(),
                    info(executed[i], "runtimePrecision").c_str());
    // --8<-- [end:runtime-model]
    result["runtime_nodes"] = executed.size();
    std::set<std::string> keys, orders;
    for (const auto& op : executed) {
        for (const auto& [key, value] : op->get_rt_info()) keys.insert(key);
        orders.insert(info(op, "execOrder"));
    }
    result["runtime_rt_info_keys"] = keys;
    result["runtime_exec_orders_unique"] = orders.size() == executed.size();
    result["runtime_reorders"] = layer_types["Reorder"];

    // --8<-- [start:stand-in]
    // Seeing a split needs two devices. Where there is no GPU, register the CPU plugin
    // a second time under another name: HETERO then treats SECONDCPU and CPU as two
    // devices.
    std::string accelerator = "GPU";
    if (std::find(available.begin(), available.end(), "GPU") == available.end()) {
        // A plugin's registered name must contain its own ("CPU").
        accelerator = "SECONDCPU";
        core.register_plugin("openvino_intel_cpu_plugin", accelerator);
    }
    const std::string split_device = "HETERO:" + accelerator + ",CPU";
    // --8<-- [end:stand-in]
    result["accelerator"] = accelerator;

    // --8<-- [start:affinity]
    // A fresh copy of the model with every operation's device set by hand:
    // choose(op, the device HETERO would pick) -> device. Set all of them: HETERO uses
    // manual affinities only when every operation has one.
    auto with_affinity = [&](auto choose) {
        std::shared_ptr<ov::Model> assigned = core.read_model(model_path);
        ov::SupportedOpsMap automatic = core.query_model(assigned, split_device);
        for (const auto& op : assigned->get_ops()) {
            const std::string& picked = automatic.at(op->get_friendly_name());
            op->get_rt_info()["affinity"] = choose(op, picked);
        }
        return assigned;
    };

    // Few, big subgraphs: the convolutions on the accelerator, the small classifier
    // head (what follows the last convolution) on the CPU.
    std::vector<std::shared_ptr<ov::Node>> ops = model->get_ordered_ops();
    size_t last_conv = 0;
    for (size_t i = 0; i < ops.size(); ++i)
        if (std::string(ops[i]->get_type_name()) == "Convolution") last_conv = i;
    std::set<std::string> head;
    for (size_t i = last_conv + 1; i < ops.size(); ++i)
        head.insert(ops[i]->get_friendly_name());
    ov::CompiledModel head_on_cpu = core.compile_model(
        with_affinity([&](const auto& op, const std::string& automatic) {
            return head.count(op->get_friendly_name()) ? std::string("CPU") : automatic;
        }),
        split_device);
    std::printf("head on the CPU: %zu subgraphs on %s\n", submodels(head_on_cpu),
                join(head_on_cpu.get_property(ov::execution_devices)).c_str());
    // --8<-- [end:affinity]
    result["few_execution_devices"] = head_on_cpu.get_property(ov::execution_devices);

    // --8<-- [start:granularity]
    // Many, small subgraphs: every activation (Clamp, the ReLU6 after most
    // convolutions) on the CPU, everything else on the accelerator: data crosses
    // devices twice per activation.
    ov::CompiledModel activations_on_cpu = core.compile_model(
        with_affinity([](const auto& op, const std::string& automatic) {
            return std::string(op->get_type_name()) == "Clamp" ? "CPU" : automatic;
        }),
        split_device);

    auto median_ms = [&](ov::CompiledModel& compiled_model) {
        ov::InferRequest request = compiled_model.create_infer_request();
        request.set_input_tensor(frame);
        request.infer();  // warm-up
        std::vector<double> times;
        for (int i = 0; i < RUNS; ++i) {
            auto start = perfguide::Clock::now();
            request.infer();
            times.push_back(perfguide::seconds_since(start) * 1000);
        }
        return perfguide::median(times);
    };

    std::vector<std::pair<std::string, ov::CompiledModel>> splits = {
        {"one device", compiled},
        {"head on the CPU", head_on_cpu},
        {"activations on the CPU", activations_on_cpu}};
    std::vector<double> best_ms(splits.size(), std::numeric_limits<double>::infinity());
    // Alternate, so a burst of load on the machine does not favour one.
    for (int round = 0; round < ROUNDS; ++round)
        for (size_t s = 0; s < splits.size(); ++s)
            best_ms[s] = std::min(best_ms[s], median_ms(splits[s].second));
    std::vector<std::pair<size_t, int>> measured;  // (subgraphs, Reorder nodes)
    for (size_t s = 0; s < splits.size(); ++s) {
        int reorders = 0;
        for (const auto& op : splits[s].second.get_runtime_model()->get_ordered_ops())
            reorders += info(op, "layerType") == "Reorder";
        measured.emplace_back(submodels(splits[s].second), reorders);
        std::printf("%-23s %3zu subgraph(s), %3d Reorder nodes, median %.2f ms\n",
                    splits[s].first.c_str(), measured[s].first, reorders, best_ms[s]);
    }
    // --8<-- [end:granularity]
    const char* keys_by_split[] = {"one_device", "few", "many"};
    for (size_t s = 0; s < splits.size(); ++s) {
        const std::string key = keys_by_split[s];
        result[key + "_submodels"] = measured[s].first;
        result[key + "_reorders"] = measured[s].second;
        result[key + "_ms"] = best_ms[s];
    }
    ov::Tensor few_out = first_output(head_on_cpu);
    ov::Tensor many_out = first_output(activations_on_cpu);
    result["few_vs_one_device_max_abs"] = perfguide::max_abs_diff(few_out, reference);
    result["many_vs_one_device_max_abs"] = perfguide::max_abs_diff(many_out, reference);
    result["output_scale"] = perfguide::max_abs(reference);

    // --8<-- [start:pipeline-parallel]
    // Pipeline parallelism: HETERO cuts the model into consecutive stages sized to each
    // device's memory, for a model too big for one device (a large language model over
    // two GPUs).
    using ov::hint::ModelDistributionPolicy;
    ov::CompiledModel pipelined = core.compile_model(
        model, split_device,
        ov::hint::model_distribution_policy(std::set<ModelDistributionPolicy>{
            ModelDistributionPolicy::PIPELINE_PARALLEL}));
    std::printf("PIPELINE_PARALLEL: %zu subgraph(s) on %s\n", submodels(pipelined),
                join(pipelined.get_property(ov::execution_devices)).c_str());
    // --8<-- [end:pipeline-parallel]
    result["pipeline_submodels"] = submodels(pipelined);
    result["pipeline_execution_devices"] = pipelined.get_property(ov::execution_devices);
    std::set<std::string> policies;
    for (ModelDistributionPolicy policy :
         core.get_property("HETERO", ov::hint::model_distribution_policy)) {
        std::ostringstream name;
        name << policy;
        policies.insert(name.str());
    }
    result["hetero_default_distribution_policy"] = policies;
    ov::Tensor pipe_out = first_output(pipelined);
    result["pipeline_vs_one_device_max_abs"] = perfguide::max_abs_diff(pipe_out, reference);
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    return perfguide::main(argc, argv, run,
                           "The Heterogeneous execution page's examples, in C++.");
}
