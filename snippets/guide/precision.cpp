// Inference precision: f32, bf16 and f16, their speed and their agreement with f32 (the C++ twin
// of precision.py: the same sections and observations, but for the int8 model, which NNCF, a
// Python library, quantizes: its section and its rows are Python's only).
//
// Run it yourself:  python scripts/cpp.py run guide/precision --device CPU --model mobilenet
#include "snippet.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <openvino/opsets/opset15.hpp>

using perfguide::json;

namespace {

constexpr int FRAMES = 128;  // per precision, for the throughput run
constexpr int SAMPLES = 32;  // random inputs on which each precision is compared with f32
const std::vector<std::string> HEAVY_LAYERS = {"Convolution", "GroupConvolution",
                                               "FullyConnected", "MatMul"};

// The first output of one inference, copied out of the request.
ov::Tensor infer_once(ov::CompiledModel compiled, const ov::Tensor& input) {
    ov::InferRequest one = compiled.create_infer_request();
    one.set_input_tensor(input);
    one.infer();
    ov::Tensor copy(one.get_output_tensor(0).get_element_type(),
                    one.get_output_tensor(0).get_shape());
    one.get_output_tensor(0).copy_to(copy);
    return copy;
}

json run(const perfguide::Args& args) {
    const std::string model_path = args.model;
    const std::string device = args.device;
    const int frames = FRAMES, samples = SAMPLES;
    json result = {{"device", device}};

    // --8<-- [start:capabilities]
    ov::Core core;
    std::shared_ptr<ov::Model> model = core.read_model(model_path);
    ov::CompiledModel compiled_model = core.compile_model(model, device);
    std::vector<std::string> capabilities;
    ov::element::Type default_precision;
    for (const std::string& real_device :
         compiled_model.get_property(ov::execution_devices)) {
        capabilities = core.get_property(real_device, ov::device::capabilities);
        default_precision =
            core.get_property(real_device, ov::hint::inference_precision);
        std::string names;
        for (const std::string& name : capabilities)
            names += (names.empty() ? "" : ", ") + name;
        std::printf("%s supports %s; its default inference precision is %s\n",
                    real_device.c_str(), names.c_str(),
                    default_precision.get_type_name().c_str());
    }
    // --8<-- [end:capabilities]
    result["execution_devices"] = compiled_model.get_property(ov::execution_devices);
    result["capabilities"] = capabilities;
    result["default_precision"] = default_precision.get_type_name();
    if (model->inputs().size() != 1 || model->input(0).get_partial_shape().is_dynamic() ||
        model->input(0).get_element_type() != ov::element::f32)
        throw perfguide::UsageError(
            "this page needs a model with one static f32 input: " + model_path);

    // --8<-- [start:runs-in]
    // The precisions the heavy layers really run in, read from the compiled model.
    auto runs_in = [](const ov::CompiledModel& compiled_model) {
        std::vector<std::pair<std::string, int>> found;  // in the order first seen
        for (const auto& op : compiled_model.get_runtime_model()->get_ordered_ops()) {
            const ov::RTMap& info = op->get_rt_info();
            const std::string type = info.at("layerType").as<std::string>();
            if (std::find(HEAVY_LAYERS.begin(), HEAVY_LAYERS.end(), type) ==
                HEAVY_LAYERS.end())
                continue;
            const std::string precision = info.at("runtimePrecision").as<std::string>();
            auto same = [&](const auto& each) { return each.first == precision; };
            auto seen = std::find_if(found.begin(), found.end(), same);
            if (seen == found.end()) found.emplace_back(precision, 1);
            else ++seen->second;
        }
        auto more = [](const auto& a, const auto& b) { return a.second > b.second; };
        std::stable_sort(found.begin(), found.end(), more);
        std::string summary;
        for (const auto& [precision, count] : found)
            summary += (summary.empty() ? "" : ", ") + precision + " (" +
                       std::to_string(count) + " layers)";
        return summary;
    };
    // --8<-- [end:runs-in]

    // --8<-- [start:precision-hint]
    using ov::hint::PerformanceMode;
    const auto throughput = ov::hint::performance_mode(PerformanceMode::THROUGHPUT);
    std::vector<std::pair<std::string, ov::CompiledModel>> compiled;
    for (ov::element::Type precision :
         {ov::element::f32, ov::element::bf16, ov::element::f16}) {
        const std::string name = precision.get_type_name();
        compiled.emplace_back(
            name, core.compile_model(model, device, throughput,
                                     ov::hint::inference_precision(precision)));
        std::printf("asked for %s: runs in %s\n", name.c_str(),
                    runs_in(compiled.back().second).c_str());
    }
    // --8<-- [end:precision-hint]
    json runs = json::object();
    for (const auto& [name, each] : compiled) runs[name] = runs_in(each);

    // --8<-- [start:execution-mode]
    const ov::Shape input_shape = model->input(0).get_shape();
    ov::Tensor sample = perfguide::random_tensor(input_shape);
    using ov::hint::ExecutionMode;
    std::map<ExecutionMode, ov::Tensor> outputs;
    ov::CompiledModel by_mode;
    for (auto mode : {ExecutionMode::ACCURACY, ExecutionMode::PERFORMANCE}) {
        by_mode = core.compile_model(model, device, ov::hint::execution_mode(mode));
        outputs[mode] = infer_once(by_mode, sample);
        std::cout << mode << ": runs in " << runs_in(by_mode) << "\n";
    }
    double difference = perfguide::max_abs_diff(outputs[ExecutionMode::PERFORMANCE],
                                                outputs[ExecutionMode::ACCURACY]);
    std::printf("largest difference, PERFORMANCE vs ACCURACY: %.4f\n", difference);
    // --8<-- [end:execution-mode]
    result["performance_vs_accuracy_max_abs"] = difference;
    runs["PERFORMANCE"] = runs_in(by_mode);  // the loop's last mode
    runs["ACCURACY"] = runs_in(core.compile_model(
        model, device, ov::hint::execution_mode(ov::hint::ExecutionMode::ACCURACY)));
    result["runs_in"] = runs;

    // --8<-- [start:execution-mode-cost]
    // ACCURACY also turns dynamic quantization off: the on-the-fly int8 of the
    // activations that feed layers with compressed weights. A stack of such layers,
    // like an LLM's after nncf.compress_weights, built here with the same int8
    // weights: u8 values, a zero point and an f16 scale per output row.
    using namespace ov::opset15;
    const size_t width = 1024, tokens = 32;
    std::mt19937 mlp_rng(1);
    std::normal_distribution<float> normal(0.0f, 1.0f / 32);
    auto tokens_in =
        std::make_shared<Parameter>(ov::element::f32, ov::Shape{tokens, width});
    ov::Output<ov::Node> layer = tokens_in;
    for (int l = 0; l < 8; ++l) {
        std::vector<uint8_t> levels(width * width);
        std::vector<float> zero_points(width), scales(width), row(width);
        for (size_t r = 0; r < width; ++r) {
            for (float& w : row) w = normal(mlp_rng);
            auto [low, high] = std::minmax_element(row.begin(), row.end());
            scales[r] = (*high - *low) / 255.0f;
            zero_points[r] = std::round(-*low / scales[r]);
            for (size_t c = 0; c < width; ++c)
                levels[r * width + c] = static_cast<uint8_t>(std::clamp(
                    std::round(row[c] / scales[r]) + zero_points[r], 0.0f, 255.0f));
        }
        const ov::Shape per_row{width, 1};
        auto weight = std::make_shared<Multiply>(
            std::make_shared<Subtract>(
                std::make_shared<Convert>(
                    Constant::create(ov::element::u8, {width, width}, levels),
                    ov::element::f16),
                std::make_shared<Convert>(
                    Constant::create(ov::element::u8, per_row, zero_points),
                    ov::element::f16)),
            Constant::create(ov::element::f16, per_row, scales));
        layer = std::make_shared<Relu>(std::make_shared<MatMul>(
            layer, std::make_shared<Convert>(weight, ov::element::f32), false, true));
    }
    auto int8_weights = std::make_shared<ov::Model>(
        ov::OutputVector{layer}, ov::ParameterVector{tokens_in}, "mlp");
    ov::Tensor batch(ov::element::f32, {tokens, width});
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    for (size_t i = 0; i < batch.get_size(); ++i)
        batch.data<float>()[i] = uniform(mlp_rng);

    const std::vector<std::pair<std::string, ov::AnyMap>> modes = {
        {"PERFORMANCE", {ov::hint::execution_mode(ExecutionMode::PERFORMANCE)}},
        {"PERFORMANCE, group size 0",
         {ov::hint::execution_mode(ExecutionMode::PERFORMANCE),
          ov::hint::dynamic_quantization_group_size(0)}},
        {"ACCURACY", {ov::hint::execution_mode(ExecutionMode::ACCURACY)}},
    };
    std::vector<ov::CompiledModel> compiled_modes;
    std::vector<double> best_ms(modes.size(), INFINITY);
    for (const auto& [name, config] : modes)
        compiled_modes.push_back(core.compile_model(int8_weights, device, config));
    // interleaved: a busy moment falls on every mode alike
    for (int round = 0; round < 5; ++round) {
        for (size_t m = 0; m < modes.size(); ++m) {
            ov::InferRequest request = compiled_modes[m].create_infer_request();
            request.set_input_tensor(batch);
            request.infer();  // warm
            auto start = perfguide::Clock::now();
            for (int i = 0; i < 10; ++i) request.infer();
            double per_call = perfguide::seconds_since(start) / 10 * 1000;
            best_ms[m] = std::min(best_ms[m], per_call);
        }
    }
    // The group size the device chose; null where it does not say (AUTO).
    auto group_size = [](const ov::CompiledModel& each) -> json {
        try {
            return each.get_property(ov::hint::dynamic_quantization_group_size);
        } catch (const ov::Exception&) {
            return nullptr;
        }
    };

    for (size_t m = 0; m < modes.size(); ++m)
        std::printf("%s: %.2f ms, dynamic quantization group size %s\n",
                    modes[m].first.c_str(), best_ms[m],
                    group_size(compiled_modes[m]).dump().c_str());
    // --8<-- [end:execution-mode-cost]
    result["dq_group_size_performance"] = group_size(compiled_modes[0]);
    result["dq_group_size_accuracy"] = group_size(compiled_modes[2]);
    json int8_weights_ms = json::object();
    for (size_t m = 0; m < modes.size(); ++m) int8_weights_ms[modes[m].first] = best_ms[m];
    result["int8_weights_ms"] = int8_weights_ms;
    result["int8_weights_accuracy_vs_performance"] = best_ms[2] / best_ms[0];
    result["int8_weights_no_dq_vs_performance"] = best_ms[1] / best_ms[0];

    // --8<-- [start:compare]
    auto frames_per_second = [&](ov::CompiledModel& compiled_model,
                                 const ov::Tensor& frame) {
        uint32_t jobs =
            compiled_model.get_property(ov::optimal_number_of_infer_requests);
        std::vector<ov::InferRequest> queue;
        for (uint32_t i = 0; i < jobs; ++i) {
            queue.push_back(compiled_model.create_infer_request());
            queue.back().set_input_tensor(frame);
            queue.back().infer();  // warm every request once
        }
        auto start = perfguide::Clock::now();
        for (int i = 0; i < frames; ++i) {
            queue[i % jobs].wait();  // blocks only while this request is still busy
            queue[i % jobs].start_async();
        }
        for (ov::InferRequest& each : queue) each.wait();
        return frames / perfguide::seconds_since(start);
    };

    std::vector<ov::Tensor> inputs;
    for (int i = 0; i < samples; ++i)
        inputs.push_back(
            perfguide::random_tensor(input_shape, ov::element::f32, 100 + i));

    // Every input's outputs, one after the other.
    auto outputs_of = [&](ov::CompiledModel& compiled_model) {
        ov::InferRequest request = compiled_model.create_infer_request();
        std::vector<float> all;
        for (const ov::Tensor& x : inputs) {
            request.set_input_tensor(x);
            request.infer();
            const ov::Tensor out = request.get_output_tensor(0);
            all.insert(all.end(), out.data<const float>(),
                       out.data<const float>() + out.get_size());
        }
        return all;
    };
    using Scores = std::vector<float>;
    auto max_abs_error = [](const Scores& got, const Scores& ref) {
        double largest = 0;
        for (size_t i = 0; i < got.size(); ++i)
            largest = std::max(largest, std::fabs(double(got[i]) - ref[i]));
        return largest;
    };
    // How often the highest-scoring class is the same as f32's.
    auto top1_agreement = [&](const Scores& got, const Scores& ref) {
        const size_t classes = got.size() / samples;
        int same = 0;
        for (size_t s = 0; s < size_t(samples); ++s) {
            auto best = [&](const Scores& v) {
                return std::max_element(v.begin() + s * classes,
                                        v.begin() + (s + 1) * classes) - v.begin();
            };
            same += best(got) == best(ref);
        }
        return double(same) / samples;
    };

    const std::vector<float> reference = outputs_of(compiled[0].second);  // f32
    std::map<std::string, double> fps_of;
    std::map<std::string, std::vector<float>> outputs_by;
    std::printf("%-10s%10s%15s%17s\n", "precision", "frames/s", "max abs error",
                "top-1 agreement");
    for (auto& [name, each] : compiled) {
        double fps = fps_of[name] = frames_per_second(each, inputs[0]);
        const std::vector<float>& got = outputs_by[name] = outputs_of(each);
        std::printf("%-10s%10.1f%15.4f%15.0f%%\n", name.c_str(), fps,
                    max_abs_error(got, reference),
                    top1_agreement(got, reference) * 100);
    }
    // --8<-- [end:compare]
    for (const auto& [name, got] : outputs_by) {
        result[name + "_fps"] = fps_of[name];
        result[name + "_max_abs"] = max_abs_error(got, reference);
        result[name + "_top1_agreement"] = top1_agreement(got, reference);
        double total = 0;
        for (size_t i = 0; i < got.size(); ++i) total += std::fabs(double(got[i]) - reference[i]);
        result[name + "_mean_abs"] = total / got.size();
        result[name + "_speedup"] = fps_of[name] / fps_of["f32"];
    }
    // How far apart the best and second-best f32 scores are: a top-1 agreement below 100%
    // means an error larger than that gap.
    const size_t classes = reference.size() / samples;
    std::vector<double> gaps;
    for (size_t s = 0; s < size_t(samples); ++s) {
        std::vector<float> ordered(reference.begin() + s * classes,
                                   reference.begin() + (s + 1) * classes);
        std::sort(ordered.begin(), ordered.end());
        gaps.push_back(ordered[classes - 1] - ordered[classes - 2]);
    }
    result["top2_gap_median"] = perfguide::median(gaps);
    double scale = 0, mean = 0, squares = 0;
    for (float v : reference) scale = std::max(scale, std::fabs(double(v))), mean += v;
    mean /= reference.size();
    for (float v : reference) squares += (v - mean) * (v - mean);
    result["output_scale"] = scale;
    result["output_std"] = std::sqrt(squares / reference.size());
    result["samples"] = samples;
    result["frames"] = frames;
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    return perfguide::main(argc, argv, run, "The Inference precision page's examples, in C++.");
}
