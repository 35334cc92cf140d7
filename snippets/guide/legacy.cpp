// From the legacy API: today's equivalent of every Inference Engine call the old optimization
// guides use, one small section per mapping, each read back; and proof that the removed names
// are gone (the C++ twin of legacy.py). Each section shows the old Inference Engine C++ call as
// a comment right above the ov:: call that replaces it; only today's code is compiled and run.
//
// Run it yourself:  python scripts/cpp.py run guide/legacy --device CPU --model mobilenet
#include "snippet.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>

#include <openvino/runtime/intel_gpu/properties.hpp>

using perfguide::join;
using perfguide::json;

namespace {

// Names the legacy guides use that must be gone today (checked, not assumed). The headers of the
// Inference Engine API are looked for with __has_include in the include folder of the OpenVINO
// this program is built against (the wheel's), when it is compiled.
struct Header {
    const char* name;
    bool present;
};
const Header REMOVED_HEADERS[] = {
#if __has_include(<inference_engine.hpp>)
    {"inference_engine.hpp", true},
#else
    {"inference_engine.hpp", false},
#endif
#if __has_include(<ie_core.hpp>)
    {"ie_core.hpp", true},
#else
    {"ie_core.hpp", false},
#endif
#if __has_include(<ie_plugin_config.hpp>)
    {"ie_plugin_config.hpp", true},
#else
    {"ie_plugin_config.hpp", false},
#endif
#if __has_include(<ie/inference_engine.hpp>)
    {"ie/inference_engine.hpp", true},
#else
    {"ie/inference_engine.hpp", false},
#endif
};
const char* const REMOVED_DEVICES[] = {"MYRIAD", "HDDL", "FPGA", "HETERO:FPGA,CPU"};
const std::map<std::string, std::string> REMOVED_CPU_KEYS = {
    {"CPU_THROUGHPUT_STREAMS", "2"}, {"CPU_THREADS_NUM", "1"}, {"ENFORCE_BF16", "NO"}};

// The precisions the heavy layers of a compiled model ran in, from its runtime model.
json heavy_precisions(const ov::CompiledModel& compiled) {
    std::set<std::string> found;
    for (const auto& op : compiled.get_runtime_model()->get_ordered_ops()) {
        const ov::RTMap& info = op->get_rt_info();
        const std::string type = info.at("layerType").as<std::string>();
        if (type == "Convolution" || type == "FullyConnected")
            found.insert(info.at("runtimePrecision").as<std::string>());
    }
    return json(std::vector<std::string>(found.begin(), found.end()));
}

// One inference of `compiled` on `input`; its first output, copied out of the request.
ov::Tensor infer_once(ov::CompiledModel compiled, const ov::Tensor& input) {
    ov::InferRequest one = compiled.create_infer_request();
    one.set_input_tensor(input);
    one.infer();
    const ov::Tensor output = one.get_output_tensor(0);
    ov::Tensor copy(output.get_element_type(), output.get_shape());
    output.copy_to(copy);
    return copy;
}

bool has_device(ov::Core& core, const std::string& name) {
    const std::vector<std::string> devices = core.get_available_devices();
    return std::find(devices.begin(), devices.end(), name) != devices.end();
}

double file_mib(const std::filesystem::path& path) {
    return static_cast<double>(std::filesystem::file_size(path)) / (1 << 20);
}

json run(const perfguide::Args& args) {
    const std::string model_path = args.model;
    const std::string device = args.device;
    json result = {{"device", device}};
    if (device.substr(0, device.find_first_of(":.")) != "CPU")
        throw perfguide::UsageError(
            "this page's examples read back CPU settings: use --device CPU, not " + device);

    // --8<-- [start:core]
    // Inference Engine:  InferenceEngine::Core ie;
    ov::Core core;
    // Inference Engine:  CNNNetwork network = ie.ReadNetwork("model.xml");
    std::shared_ptr<ov::Model> model = core.read_model(model_path);
    // Inference Engine:  ExecutableNetwork exec = ie.LoadNetwork(network, "CPU");
    ov::CompiledModel compiled = core.compile_model(model, device);
    // Inference Engine:  InferRequest request = exec.CreateInferRequest();
    ov::InferRequest request = compiled.create_infer_request();
    // --8<-- [end:core]
    const ov::Output<ov::Node> port = model->input(0);
    const ov::PartialShape shape = port.get_partial_shape();
    if (model->inputs().size() != 1 || shape.is_dynamic() ||
        port.get_element_type() != ov::element::f32 || shape.rank().get_length() != 4)
        throw perfguide::UsageError(
            "this page needs a model with one static f32 NCHW input: " + model_path);
    ov::Tensor frame = perfguide::random_tensor(port.get_shape());

    // --8<-- [start:get-blob]
    // Inference Engine:  Blob::Ptr input = request.GetBlob(input_name);
    //                    float* data = as<MemoryBlob>(input)->wmap().as<float*>();
    ov::Tensor input_tensor = request.get_input_tensor(0);
    // write into the memory the request allocated for the device
    std::memcpy(input_tensor.data(), frame.data(), frame.get_byte_size());
    // Inference Engine:  request.Infer();
    request.infer();
    // Inference Engine:  Blob::Ptr output = request.GetBlob(output_name);
    const ov::Tensor output = request.get_output_tensor(0);
    ov::Tensor scores(output.get_element_type(), output.get_shape());
    output.copy_to(scores);  // the request's own output is overwritten by the next run
    std::printf("GetBlob -> get_input_tensor: input %s, output %s\n",
                input_tensor.get_shape().to_string().c_str(),
                scores.get_shape().to_string().c_str());
    // --8<-- [end:get-blob]
    result["get_blob_output_shape"] = perfguide::shape_json(scores.get_shape());

    // --8<-- [start:set-blob]
    // Inference Engine:  request.SetBlob(input_name, make_shared_blob<float>(
    //                        TensorDesc(Precision::FP32, dims, Layout::NCHW), data));
    request.set_input_tensor(0, frame);  // a tensor of your own
    request.infer();
    const ov::Tensor again = request.get_output_tensor(0);
    bool same = again.get_byte_size() == scores.get_byte_size() &&
                std::memcmp(again.data(), scores.data(), scores.get_byte_size()) == 0;
    std::printf("SetBlob -> set_input_tensor: same scores: %s\n",
                same ? "true" : "false");
    // --8<-- [end:set-blob]
    result["set_blob_same_output"] = same;

    // --8<-- [start:u8-input]
    // Inference Engine:  InputsDataMap info(network.getInputsInfo());
    //                    info.begin()->second->setPrecision(Precision::U8);
    //   (and setLayout(Layout::NHWC): today ppp.input().tensor().set_layout("NHWC"))
    // The model takes bytes; the conversion runs inside it.
    ov::preprocess::PrePostProcessor ppp(core.read_model(model_path));
    ppp.input(0).tensor().set_element_type(ov::element::u8);
    ppp.input(0).preprocess().convert_element_type(ov::element::f32);
    ov::CompiledModel u8_compiled = core.compile_model(ppp.build(), device);
    std::printf("Precision::U8 -> PrePostProcessor: input type %s\n",
                u8_compiled.input(0).get_element_type().get_type_name().c_str());
    // --8<-- [end:u8-input]
    result["u8_input_type"] = u8_compiled.input(0).get_element_type().get_type_name();
    ov::Tensor u8_frame = perfguide::random_tensor(port.get_shape(), ov::element::u8, 1);
    ov::Tensor u8_as_f32(ov::element::f32, port.get_shape());
    std::copy_n(u8_frame.data<const uint8_t>(), u8_frame.get_size(), u8_as_f32.data<float>());
    const ov::Tensor u8_out = infer_once(u8_compiled, u8_frame);
    const ov::Tensor f32_out = infer_once(compiled, u8_as_f32);
    result["u8_vs_f32_max_abs"] = perfguide::max_abs_diff(u8_out, f32_out);
    result["u8_output_scale"] = perfguide::max_abs(f32_out);

    // --8<-- [start:streams]
    // Inference Engine:  ie.SetConfig({{PluginConfigParams::KEY_CPU_THROUGHPUT_STREAMS,
    //                                   "2"}}, "CPU");
    //   (on a GPU: PluginConfigParams::KEY_GPU_THROUGHPUT_STREAMS)
    ov::CompiledModel two_streams =
        core.compile_model(model, device, ov::num_streams(2));
    std::printf("-nstreams 2 -> ov::num_streams: %d streams\n",
                two_streams.get_property(ov::num_streams).num);
    // --8<-- [end:streams]
    result["streams_read_back"] = two_streams.get_property(ov::num_streams).num;

    // --8<-- [start:threads]
    // Inference Engine:  ie.SetConfig({{PluginConfigParams::KEY_CPU_THREADS_NUM, "1"}},
    //                                 "CPU");
    // (OMP_NUM_THREADS never had an effect: OpenVINO uses TBB)
    ov::CompiledModel one_thread =
        core.compile_model(model, "CPU", ov::inference_num_threads(1));
    std::printf("KEY_CPU_THREADS_NUM 1 -> ov::inference_num_threads: %d\n",
                one_thread.get_property(ov::inference_num_threads));
    // --8<-- [end:threads]
    result["threads_read_back"] = one_thread.get_property(ov::inference_num_threads);

    // --8<-- [start:precision]
    // Keep f32 where the CPU would use bf16 on its own (-enforcebf16=false).
    // Inference Engine:  ie.SetConfig({{PluginConfigParams::KEY_ENFORCE_BF16,
    //                                   PluginConfigParams::NO}}, "CPU");
    ov::CompiledModel f32_only = core.compile_model(
        model, "CPU", ov::hint::inference_precision(ov::element::f32));
    auto type_name = [](const ov::CompiledModel& each) {
        return each.get_property(ov::hint::inference_precision).get_type_name();
    };
    std::printf("KEY_ENFORCE_BF16 NO -> ov::hint::inference_precision: %s\n",
                type_name(f32_only).c_str());
    const auto capabilities = core.get_property("CPU", ov::device::capabilities);
    bool cpu_has_bf16 = std::find(capabilities.begin(), capabilities.end(), "BF16") !=
                        capabilities.end();
    ov::CompiledModel bf16;
    if (cpu_has_bf16) {
        // Inference Engine:  ie.SetConfig({{PluginConfigParams::KEY_ENFORCE_BF16,
        //                                   PluginConfigParams::YES}}, "CPU");
        bf16 = core.compile_model(
            model, "CPU", ov::hint::inference_precision(ov::element::bf16));
        std::printf("KEY_ENFORCE_BF16 YES -> ov::hint::inference_precision: %s\n",
                    type_name(bf16).c_str());
    }
    // --8<-- [end:precision]
    result["f32_read_back"] = type_name(f32_only);
    result["cpu_has_bf16"] = cpu_has_bf16;
    if (cpu_has_bf16) result["bf16_read_back"] = type_name(bf16);
    result["f32_heavy_layers_ran_in"] = heavy_precisions(f32_only);
    result["default_heavy_layers_ran_in"] = heavy_precisions(compiled);
    if (cpu_has_bf16) result["bf16_heavy_layers_ran_in"] = heavy_precisions(bf16);

    // --8<-- [start:gpu-fp16-quantized]
    // The layers an int8 model keeps in floating point run in the GPU's inference
    // precision, f16 by default; ask for f32 to keep them in f32.
    // Inference Engine:  ie.SetConfig({{
    //     CLDNNConfigParams::KEY_CLDNN_ENABLE_FP16_FOR_QUANTIZED_MODELS,
    //     PluginConfigParams::YES}}, "GPU");
    if (has_device(core, "GPU")) {
        ov::CompiledModel gpu = core.compile_model(
            model, "GPU", ov::hint::inference_precision(ov::element::f16));
        std::printf("GPU inference precision: %s\n", type_name(gpu).c_str());
    }
    // --8<-- [end:gpu-fp16-quantized]

    // --8<-- [start:gpu-throttle]
    // Let the GPU driver poll less, to leave CPU time to others.
    // Inference Engine:  ie.SetConfig({{CLDNNConfigParams::KEY_CLDNN_PLUGIN_THROTTLE,
    //                                   "1"}}, "GPU");
    if (has_device(core, "GPU")) {
        namespace gpu_hint = ov::intel_gpu::hint;
        ov::CompiledModel throttled = core.compile_model(
            model, "GPU", gpu_hint::queue_throttle(gpu_hint::ThrottleLevel::LOW));
        std::cout << "GPU queue throttle: "
                  << throttled.get_property(gpu_hint::queue_throttle) << "\n";
    }
    // --8<-- [end:gpu-throttle]
    result["gpu_queue_throttle_name"] = ov::intel_gpu::hint::queue_throttle.name();
    result["gpu_sections_ran"] = has_device(core, "GPU");

    // --8<-- [start:optimal-requests]
    // Inference Engine:  auto jobs = exec.GetMetric(
    //     METRIC_KEY(OPTIMAL_NUMBER_OF_INFER_REQUESTS)).as<unsigned int>();
    uint32_t jobs = two_streams.get_property(ov::optimal_number_of_infer_requests);
    // Inference Engine:  exec.CreateInferRequest() per job; StartAsync(),
    //                    Wait(InferRequest::WaitMode::RESULT_READY)
    std::vector<ov::InferRequest> pool;
    for (uint32_t i = 0; i < jobs; ++i) {
        pool.push_back(two_streams.create_infer_request());
        pool.back().set_input_tensor(frame);
    }
    for (uint32_t i = 0; i < 2 * jobs; ++i) {
        pool[i % jobs].wait();  // returns at once if that request is idle
        pool[i % jobs].start_async();
    }
    for (ov::InferRequest& each : pool) each.wait();
    std::printf("OPTIMAL_NUMBER_OF_INFER_REQUESTS -> "
                "ov::optimal_number_of_infer_requests: %u\n", jobs);
    // --8<-- [end:optimal-requests]
    result["optimal_requests"] = jobs;

    // --8<-- [start:exec-graph]
    // The graph the device really runs, one rt_info per node.
    // Inference Engine:  CNNNetwork exec_graph = exec.GetExecGraphInfo();
    std::shared_ptr<const ov::Model> runtime = compiled.get_runtime_model();
    const ov::RTMap& first = runtime->get_ordered_ops()[1]->get_rt_info();
    std::printf("GetExecGraphInfo -> get_runtime_model: %zu nodes, e.g. %s in %s\n",
                runtime->get_ordered_ops().size(),
                first.at("layerType").as<std::string>().c_str(),
                first.at("runtimePrecision").as<std::string>().c_str());
    // --8<-- [end:exec-graph]
    result["exec_graph_nodes"] = runtime->get_ordered_ops().size();

    // --8<-- [start:perf-counters]
    // Inference Engine:  ie.SetConfig({{PluginConfigParams::KEY_PERF_COUNT,
    //                                   PluginConfigParams::YES}}, "CPU");
    ov::CompiledModel profiled =
        core.compile_model(model, device, ov::enable_profiling(true));
    ov::InferRequest profiled_request = profiled.create_infer_request();
    profiled_request.set_input_tensor(frame);
    profiled_request.infer();  // the first inference also prepares weights...
    profiled_request.infer();  // ...so read the counters of the second
    // Inference Engine:  std::map<std::string, InferenceEngineProfileInfo> counters =
    //                        request.GetPerformanceCounts();
    std::vector<ov::ProfilingInfo> counters = profiled_request.get_profiling_info();
    const ov::ProfilingInfo& slowest = *std::max_element(
        counters.begin(), counters.end(),
        [](const auto& a, const auto& b) { return a.real_time < b.real_time; });
    std::printf("GetPerformanceCounts -> get_profiling_info: %zu entries, "
                "slowest %s (%s) %lld us\n",
                counters.size(), slowest.node_type.c_str(), slowest.exec_type.c_str(),
                static_cast<long long>(slowest.real_time.count()));
    // --8<-- [end:perf-counters]
    result["profiling_entries"] = counters.size();
    result["profiling_read_back"] = profiled.get_property(ov::enable_profiling);

    // --8<-- [start:exclusive]
    // Inference Engine:  ie.LoadNetwork(network0, "CPU",
    //     {{PluginConfigParams::KEY_EXCLUSIVE_ASYNC_REQUESTS,
    //       PluginConfigParams::YES}});
    // That key is gone. To keep two models from running at the same time, give each
    // one stream and one request, and run them in turn from the application.
    const ov::AnyMap one_at_a_time = {
        ov::hint::performance_mode(ov::hint::PerformanceMode::LATENCY),
        ov::hint::num_requests(1)};
    ov::InferRequest detector =
        core.compile_model(model, device, one_at_a_time).create_infer_request();
    ov::InferRequest classifier =
        core.compile_model(model, device, one_at_a_time).create_infer_request();
    detector.set_input_tensor(frame);
    classifier.set_input_tensor(frame);
    for (int i = 0; i < 2; ++i) {
        detector.infer();    // synchronous: returns when done...
        classifier.infer();  // ...so the two never overlap
    }
    ov::CompiledModel each_model = detector.get_compiled_model();
    std::printf("one at a time: %d stream, %u request each\n",
                each_model.get_property(ov::num_streams).num,
                each_model.get_property(ov::optimal_number_of_infer_requests));
    // --8<-- [end:exclusive]
    result["one_at_a_time_streams"] = each_model.get_property(ov::num_streams).num;
    result["one_at_a_time_requests"] =
        each_model.get_property(ov::optimal_number_of_infer_requests);

    // --8<-- [start:model-priority]
    // "No notion of request priorities" is no longer true: models have a priority, and
    // AUTO gives the better device to the higher-priority model when models compete.
    // Inference Engine (2022.1):  ie.LoadNetwork(network, "AUTO",
    //     {{PluginConfigParams::KEY_MODEL_PRIORITY,
    //       PluginConfigParams::MODEL_PRIORITY_HIGH}});
    ov::CompiledModel urgent = core.compile_model(
        model, "AUTO", ov::hint::model_priority(ov::hint::Priority::HIGH));
    std::cout << "model priority: " << urgent.get_property(ov::hint::model_priority)
              << "\n";
    // --8<-- [end:model-priority]
    result["model_priority_read_back"] =
        ov::Any(urgent.get_property(ov::hint::model_priority)).as<std::string>();

    // --8<-- [start:npu]
    // MYRIAD (Neural Compute Stick 2), HDDL and FPGA plugins are gone; today's Intel
    // accelerator for low-power inference is the NPU.
    // Inference Engine:  ie.LoadNetwork(network, "MYRIAD");
    if (has_device(core, "NPU")) {
        ov::CompiledModel on_npu = core.compile_model(model, "NPU");
        std::printf("NPU runs on %s\n",
                    join(on_npu.get_property(ov::execution_devices)).c_str());
    }
    // --8<-- [end:npu]

    // --8<-- [start:hetero-affinity]
    // Manual HETERO affinity: set it in every operation's rt_info.
    // Inference Engine:  for (auto&& layer : network) layer->affinity = "CPU";
    //   (2021: op->get_rt_info()["affinity"] =
    //              std::make_shared<ngraph::VariantWrapper<std::string>>("CPU"))
    std::shared_ptr<ov::Model> pinned = core.read_model(model_path);
    for (const auto& op : pinned->get_ops()) op->get_rt_info()["affinity"] = "CPU";
    // Inference Engine:  ie.LoadNetwork(network, "HETERO:FPGA,CPU");
    ov::CompiledModel hetero = core.compile_model(pinned, "HETERO:CPU");
    std::printf("HETERO affinity -> rt_info[\"affinity\"]: runs on %s\n",
                join(hetero.get_property(ov::execution_devices)).c_str());
    // --8<-- [end:hetero-affinity]
    result["hetero_affinity_devices"] = hetero.get_property(ov::execution_devices);

    // --8<-- [start:multi]
    // Inference Engine:  ie.LoadNetwork(network, "MULTI",
    //     {{MULTI_CONFIG_KEY(DEVICE_PRIORITIES), "GPU,CPU"}});
    ov::CompiledModel everywhere = core.compile_model(
        model, "AUTO",
        ov::hint::performance_mode(ov::hint::PerformanceMode::CUMULATIVE_THROUGHPUT));
    std::printf("MULTI -> AUTO + CUMULATIVE_THROUGHPUT: runs on %s\n",
                join(everywhere.get_property(ov::execution_devices)).c_str());
    // --8<-- [end:multi]
    result["multi_replacement_devices"] = everywhere.get_property(ov::execution_devices);

    // --8<-- [start:convert]
    // Model Optimizer (mo) -> in C++, read_model reads the ONNX file itself (or convert
    // it once with the ovc command line). ov::save_model stores weights in f16 by
    // default (its compress_to_fp16 argument, false, keeps f32).
    std::filesystem::path onnx_path = model_path;
    onnx_path.replace_extension(".onnx");
    std::shared_ptr<ov::Model> converted;
    perfguide::TempDir folder;
    double saved_mib = 0;
    if (std::filesystem::exists(onnx_path)) {
        // Inference Engine:  CNNNetwork network = ie.ReadNetwork("model.onnx");
        converted = core.read_model(onnx_path.string());
        // Inference Engine:  network.serialize("model.xml", "model.bin");  (f32)
        ov::save_model(converted, folder.path / "model.xml");
        saved_mib = file_mib(folder.path / "model.bin");
        std::printf("mo -> read_model + ov::save_model: %.1f MiB of weights\n",
                    saved_mib);
    }
    // --8<-- [end:convert]
    result["converted"] = converted != nullptr;
    if (converted) {
        const ov::Tensor by_converted = infer_once(core.compile_model(converted, device), frame);
        result["converted_vs_read_max_abs"] =
            perfguide::max_abs_diff(by_converted, infer_once(compiled, frame));
        result["output_scale"] = perfguide::max_abs(scores);
        result["saved_f16_mib"] = saved_mib;
        perfguide::TempDir f32_folder;
        ov::save_model(converted, f32_folder.path / "model.xml", false);
        result["saved_f32_mib"] = file_mib(f32_folder.path / "model.bin");
        // the default, f16 weights (saved above), against the f32 model, both run in f32
        const ov::AnyMap in_f32 = {ov::hint::inference_precision(ov::element::f32)};
        const ov::Tensor f16_weights = infer_once(
            core.compile_model((folder.path / "model.xml").string(), device, in_f32), frame);
        const ov::Tensor f32_weights =
            infer_once(core.compile_model(converted, device, in_f32), frame);
        result["saved_f16_vs_f32_max_abs"] = perfguide::max_abs_diff(f16_weights, f32_weights);
    }

    // The removed column of the page's table, checked: each of these must fail today.
    json gone = json::object();
    for (const Header& header : REMOVED_HEADERS)
        if (!header.present)
            gone[std::string("#include <") + header.name + ">"] =
                "no such header in OpenVINO's include folder";
    for (const char* name : REMOVED_DEVICES) {
        try {
            core.compile_model(model, name);
        } catch (const ov::Exception& error) {
            gone[std::string("compile_model(model, '") + name + "')"] =
                perfguide::last_line(error);
        }
    }
    for (const auto& [key, value] : REMOVED_CPU_KEYS) {
        try {
            core.compile_model(model, "CPU", ov::AnyMap{{key, value}});
        } catch (const ov::Exception& error) {
            gone[key + "=" + value] = perfguide::last_line(error);
        }
    }
    for (const auto& [what, why] : gone.items())
        std::printf("gone: %s: %s\n", what.c_str(), why.get<std::string>().c_str());
    result["gone"] = gone;
    // EXCLUSIVE_ASYNC_REQUESTS: no longer a public property (not listed, no ov:: constant),
    // yet the CPU plugin still accepts the string; recorded so the page can say so truthfully.
    const std::vector<ov::PropertyName> listed =
        core.get_property("CPU", ov::supported_properties);
    result["exclusive_listed"] =
        std::find(listed.begin(), listed.end(), "EXCLUSIVE_ASYNC_REQUESTS") != listed.end();
    try {
        ov::CompiledModel exclusive = core.compile_model(
            model, "CPU",
            ov::AnyMap{{"EXCLUSIVE_ASYNC_REQUESTS", true},
                       ov::hint::performance_mode(ov::hint::PerformanceMode::THROUGHPUT)});
        result["exclusive_accepted"] = true;
        result["exclusive_streams"] = exclusive.get_property(ov::num_streams).num;
    } catch (const ov::Exception&) {
        result["exclusive_accepted"] = false;
    }
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    return perfguide::main(argc, argv, run, "The From the legacy API page's examples, in C++.");
}
