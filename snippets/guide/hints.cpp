// Performance hints: what LATENCY, THROUGHPUT and CUMULATIVE_THROUGHPUT resolve to, read back
// from the compiled model, and how they combine with explicit settings (the C++ twin of
// hints.py: the same sections, the same observations).
//
// Run it yourself:  python scripts/cpp.py run guide/hints --device CPU --model mobilenet
#include "snippet.hpp"

#include <algorithm>
#include <iomanip>
#include <set>

using perfguide::join;
using perfguide::json;

namespace {

constexpr int FRAMES = 48;

// A property value read back as text, as JSON: a number where it is one ("2"), else the text.
json plain(const std::string& value) {
    bool number = !value.empty() && std::all_of(value.begin(), value.end(), ::isdigit);
    return number ? json(std::stoll(value)) : json(value);
}

json run(const perfguide::Args& args) {
    const std::string model_path = args.model;
    const std::string device = args.device;
    json result = {{"device", device}};
    json table = json::array();

    // --8<-- [start:read-back]
    ov::Core core;
    std::shared_ptr<ov::Model> model = core.read_model(model_path);

    // What a compiled model settled on. AUTO, HETERO and MULTI do not answer for
    // streams or threads themselves: the device they compiled for answers, under
    // DEVICE_PROPERTIES.
    struct Settings {
        std::string streams, threads, precision;  // "n/a": not reported
        uint32_t requests;
        std::vector<std::string> devices;
    };
    auto resolved = [](const ov::CompiledModel& compiled) {
        const std::string streams = ov::num_streams.name();
        const std::string threads = ov::inference_num_threads.name();
        const std::string precision = ov::hint::inference_precision.name();
        auto own = compiled.get_property(ov::supported_properties);
        ov::AnyMap source;
        // a real device answers for itself
        if (std::count(own.begin(), own.end(), streams)) {
            for (const std::string& key : {streams, threads, precision})
                if (std::count(own.begin(), own.end(), key))
                    source[key] = compiled.get_property(key);
        } else {  // the first device it compiled for (AUTO may pick several)
            auto devices = compiled.get_property(ov::device::properties.name());
            source = devices.as<ov::AnyMap>().begin()->second.as<ov::AnyMap>();
        }
        auto found = [&](const std::string& key) {
            return source.count(key) ? source[key].as<std::string>() : "n/a";
        };
        return Settings{found(streams), found(threads),
                        found(precision),  // bf16, f32; "dynamic": not forced
                        compiled.get_property(ov::optimal_number_of_infer_requests),
                        compiled.get_property(ov::execution_devices)};
    };

    // The precision the heavy layers really run in, from the runtime (executed) model.
    auto ran_in = [](const ov::CompiledModel& compiled) {
        const std::set<std::string> heavy = {"Convolution", "FullyConnected", "MatMul"};
        std::set<std::string> precisions;  // sorted, each once
        for (const auto& op : compiled.get_runtime_model()->get_ordered_ops()) {
            const ov::RTMap& info = op->get_rt_info();
            if (heavy.count(info.at("layerType").as<std::string>()))
                precisions.insert(info.at("runtimePrecision").as<std::string>());
        }
        return join(precisions);
    };
    // --8<-- [end:read-back]
    for (const ov::Output<ov::Node>& port : model->inputs())
        if (port.get_partial_shape().is_dynamic())
            throw perfguide::UsageError(
                "this page needs a model with static input shapes: " + model_path);

    auto row = [&](const std::string& label, const ov::CompiledModel& compiled) {
        Settings found = resolved(compiled);
        table.push_back({{"configuration", label}, {"streams", plain(found.streams)},
                         {"threads", plain(found.threads)}, {"precision", plain(found.precision)},
                         {"requests", found.requests}, {"devices", found.devices},
                         {"ran_in", ran_in(compiled)}});
    };
    std::vector<std::pair<std::string, ov::CompiledModel>> for_the_table;
    using ov::hint::PerformanceMode;

    // --8<-- [start:three-hints]
    for (PerformanceMode mode : {PerformanceMode::LATENCY, PerformanceMode::THROUGHPUT,
                                 PerformanceMode::CUMULATIVE_THROUGHPUT}) {
        ov::CompiledModel compiled =
            core.compile_model(model, device, ov::hint::performance_mode(mode));
        Settings settings = resolved(compiled);
        std::cout << std::left << std::setw(22) << mode
                  << " streams " << settings.streams << ", threads " << settings.threads
                  << ", precision " << settings.precision
                  << ", optimal requests " << settings.requests
                  << ", on " << join(settings.devices) << "\n";
        for_the_table.emplace_back(ov::Any(mode).as<std::string>(), compiled);
    }
    // --8<-- [end:three-hints]
    for (auto& [label, compiled] : for_the_table) row(label, compiled);
    for_the_table.clear();

    // --8<-- [start:cumulative-on-auto]
    ov::CompiledModel on_auto = core.compile_model(model, "AUTO",
        ov::hint::performance_mode(PerformanceMode::CUMULATIVE_THROUGHPUT));
    std::cout << "AUTO, CUMULATIVE_THROUGHPUT: runs on "
              << join(on_auto.get_property(ov::execution_devices))
              << ", optimal requests "
              << on_auto.get_property(ov::optimal_number_of_infer_requests) << "\n";
    // DEVICE_PROPERTIES: for each device, a map of its own properties
    auto devices = on_auto.get_property(ov::device::properties.name());
    for (auto& [name, properties] : devices.as<ov::AnyMap>()) {
        ov::AnyMap settings = properties.as<ov::AnyMap>();
        std::cout << "  " << name
                  << ": hint " << settings["PERFORMANCE_HINT"].as<std::string>()
                  << ", streams " << settings["NUM_STREAMS"].as<std::string>() << "\n";
    }
    // --8<-- [end:cumulative-on-auto]
    row("AUTO, CUMULATIVE_THROUGHPUT", on_auto);
    result["auto_devices"] = on_auto.get_property(ov::execution_devices);
    result["auto_requests"] = on_auto.get_property(ov::optimal_number_of_infer_requests);
    json device_hints = json::object();
    for (auto& [name, properties] : devices.as<ov::AnyMap>())
        device_hints[name] = properties.as<ov::AnyMap>().at("PERFORMANCE_HINT").as<std::string>();
    result["auto_device_hints"] = device_hints;

    // --8<-- [start:num-requests]
    ov::CompiledModel compiled = core.compile_model(model, device,
        ov::hint::performance_mode(PerformanceMode::THROUGHPUT),
        // "my application never has more than one request in flight"
        ov::hint::num_requests(1));
    Settings settings = resolved(compiled);
    std::cout << "THROUGHPUT for 1 request: streams " << settings.streams
              << ", optimal requests " << settings.requests << "\n";
    // --8<-- [end:num-requests]
    row("THROUGHPUT, hints.num_requests 1", compiled);

    // --8<-- [start:hint-and-streams]
    int explicit_streams = 1;
    compiled = core.compile_model(model, device,
        ov::hint::performance_mode(PerformanceMode::THROUGHPUT),
        // A low-level setting: it wins over the hint's choice.
        ov::num_streams(explicit_streams));
    settings = resolved(compiled);
    std::cout << "THROUGHPUT with num_streams=" << explicit_streams << ": streams "
              << settings.streams << ", threads " << settings.threads
              << ", optimal requests " << settings.requests << "\n";
    // --8<-- [end:hint-and-streams]
    row("THROUGHPUT, streams.num " + std::to_string(explicit_streams), compiled);
    result["explicit_streams"] = explicit_streams;
    result["explicit_streams_read_back"] = std::stoi(settings.streams);

    // --8<-- [start:execution-mode]
    using ov::hint::ExecutionMode;
    for (ExecutionMode mode : {ExecutionMode::PERFORMANCE, ExecutionMode::ACCURACY}) {
        compiled = core.compile_model(model, device, ov::hint::execution_mode(mode));
        std::cout << std::left << std::setw(12) << mode << " inference precision hint "
                  << resolved(compiled).precision << ", heavy layers ran in "
                  << ran_in(compiled) << "\n";
        for_the_table.emplace_back(ov::Any(mode).as<std::string>(), compiled);
    }
    // --8<-- [end:execution-mode]
    for (auto& [label, each] : for_the_table) row("execution mode " + label, each);

    // --8<-- [start:optimal-requests]
    compiled = core.compile_model(
        model, device, ov::hint::performance_mode(PerformanceMode::THROUGHPUT));
    uint32_t optimal = compiled.get_property(ov::optimal_number_of_infer_requests);
    std::vector<ov::Tensor> inputs;  // one for each input, shared by every request
    for (const ov::Output<const ov::Node>& port : compiled.inputs())
        inputs.push_back(perfguide::random_tensor(port.get_shape()));
    std::map<uint32_t, double> fps;
    for (uint32_t jobs : std::set<uint32_t>{1, optimal}) {
        std::vector<ov::InferRequest> queue;
        for (uint32_t i = 0; i < jobs; ++i) {
            queue.push_back(compiled.create_infer_request());
            for (size_t k = 0; k < inputs.size(); ++k)
                queue.back().set_input_tensor(k, inputs[k]);
            queue.back().infer();  // warm each request
        }
        auto start = perfguide::Clock::now();
        for (int i = 0; i < FRAMES; ++i) {
            queue[i % jobs].wait();  // blocks only while this request is still busy
            queue[i % jobs].start_async();
        }
        for (ov::InferRequest& each : queue) each.wait();
        fps[jobs] = FRAMES / perfguide::seconds_since(start);
        std::printf("THROUGHPUT hint, %u request(s) in flight: %.1f frames/s\n",
                    jobs, fps[jobs]);
    }
    // --8<-- [end:optimal-requests]
    result["optimal_requests"] = optimal;
    result["fps_one_request"] = fps[1];
    result["fps_optimal_requests"] = fps[optimal];

    result["table"] = table;
    std::map<std::string, json> by_label;
    for (const json& entry : table) by_label[entry["configuration"]] = entry;
    const std::vector<std::pair<std::string, std::string>> labels = {
        {"latency", "LATENCY"}, {"throughput", "THROUGHPUT"},
        {"cumulative", "CUMULATIVE_THROUGHPUT"},
        {"one_request", "THROUGHPUT, hints.num_requests 1"},
        {"performance", "execution mode PERFORMANCE"},
        {"accuracy", "execution mode ACCURACY"}};
    for (const auto& [key, label] : labels)
        for (const char* field : {"streams", "threads", "precision", "requests", "ran_in"})
            result[key + "_" + field] = by_label.at(label)[field];
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    return perfguide::main(argc, argv, run, "The Performance hints page's examples, in C++.");
}
