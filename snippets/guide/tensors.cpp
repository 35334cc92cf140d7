// Inputs and tensors: writing into a request's own tensor, setting your own, sharing memory, what
// each costs per frame, and the aliasing that sharing brings (the C++ twin of tensors.py: the same
// sections, the same observations; the application's frames are its own memory, std::vector).
//
// Run it yourself:  python scripts/cpp.py run guide/tensors --device CPU --model yolov5n
// (--model also takes the path of your own .xml or .onnx model with one static f32 input.)
#include "snippet.hpp"

#include <algorithm>
#include <cstdio>

using perfguide::json;

namespace {

constexpr int FRAMES = 8;

json run(const perfguide::Args& args) {
    const std::string model_path = args.model;
    const std::string device = args.device;
    json result = {{"device", device}};
    // A reader's own model: check it first.
    const auto inputs = std::as_const(*ov::Core().read_model(model_path)).inputs();
    if (inputs.size() != 1 || inputs[0].get_partial_shape().is_dynamic() ||
        inputs[0].get_element_type() != ov::element::f32) {
        std::string has;
        for (const auto& input : inputs) {
            std::ostringstream shape;
            shape << input.get_partial_shape();
            has += (has.empty() ? "" : ", ") + input.get_element_type().get_type_name() +
                   shape.str();
        }
        throw perfguide::UsageError("this page needs a model with one static f32 input: " +
                                    model_path + " has " + has +
                                    "; make it static with model.reshape (see the Dynamic "
                                    "shapes page)");
    }

    // --8<-- [start:compile]
    ov::Core core;
    using ov::hint::PerformanceMode;
    ov::CompiledModel compiled_model = core.compile_model(
        model_path, device, ov::hint::performance_mode(PerformanceMode::LATENCY));
    const ov::Shape shape = compiled_model.input(0).get_shape();
    // Three different frames, in the application's own memory.
    std::vector<std::vector<float>> video;
    for (uint32_t seed = 0; seed < 3; ++seed) {
        ov::Tensor random = perfguide::random_tensor(shape, ov::element::f32, seed);
        const float* values = random.data<const float>();
        video.emplace_back(values, values + random.get_size());
    }
    std::vector<float>& frame = video[0];
    // --8<-- [end:compile]

    // --8<-- [start:get-input-tensor]
    ov::InferRequest request = compiled_model.create_infer_request();
    // Memory the request allocated for the device.
    ov::Tensor input_tensor = request.get_input_tensor();
    // one copy: your frame into the request's memory
    std::copy(frame.begin(), frame.end(), input_tensor.data<float>());
    request.infer();
    ov::Tensor output = request.get_output_tensor();  // the request's output memory
    // Copy what you keep: the next inference writes into that memory.
    ov::Tensor kept(output.get_element_type(), output.get_shape());
    output.copy_to(kept);
    // --8<-- [end:get-input-tensor]
    ov::Tensor reference = kept;

    // --8<-- [start:set-input-tensor]
    request = compiled_model.create_infer_request();
    // ov::Tensor(type, shape) allocates memory of its own: the frame is copied in.
    ov::Tensor own(ov::element::f32, shape);
    std::copy(frame.begin(), frame.end(), own.data<float>());
    request.set_input_tensor(own);
    request.infer();
    // --8<-- [end:set-input-tensor]
    result["tensor_copies_array"] = own.data() != static_cast<void*>(frame.data());
    ov::Tensor set_output(request.get_output_tensor().get_element_type(),
                          request.get_output_tensor().get_shape());
    request.get_output_tensor().copy_to(set_output);

    // --8<-- [start:shared-memory]
    request = compiled_model.create_infer_request();
    // A tensor over memory you own wraps it: no copy, the request reads your frame.
    request.set_input_tensor(ov::Tensor(ov::element::f32, shape, frame.data()));
    request.infer();

    // The output tensor is the request's own memory: a view, not a copy.
    ov::Tensor shared_output = request.get_output_tensor();
    // --8<-- [end:shared-memory]
    result["shared_tensor_wraps_array"] =
        request.get_input_tensor().data() == static_cast<void*>(frame.data());
    result["shared_output_is_a_view"] =
        shared_output.data() == request.get_output_tensor().data();
    result["ways_agree_on_one_frame"] = perfguide::max_abs_diff(reference, set_output) == 0.0 &&
                                        perfguide::max_abs_diff(reference, shared_output) == 0.0;

    // --8<-- [start:cost-per-frame]
    // A copy of an output, as the application keeps it.
    auto copy_of = [](const ov::Tensor& output) {
        ov::Tensor copy(output.get_element_type(), output.get_shape());
        output.copy_to(copy);
        return copy;
    };
    // The same frames as doubles: the wrong element type.
    std::vector<std::vector<double>> video64;
    for (const std::vector<float>& each : video)
        video64.emplace_back(each.begin(), each.end());

    using Way = std::function<ov::Tensor(ov::InferRequest&, size_t)>;
    // OpenVINO's copy: the frame in through a tensor over it, the output out.
    Way copy_in_copy_out = [&](ov::InferRequest& req, size_t i) {
        ov::Tensor over_frame(ov::element::f32, shape, video[i].data());
        over_frame.copy_to(req.get_input_tensor());
        req.infer();
        return copy_of(req.get_output_tensor());
    };
    Way write_into_request = [&](ov::InferRequest& req, size_t i) {
        float* input = req.get_input_tensor().data<float>();
        std::copy(video[i].begin(), video[i].end(), input);
        req.infer();
        return copy_of(req.get_output_tensor());
    };
    Way set_new_tensor = [&](ov::InferRequest& req, size_t i) {
        ov::Tensor copy(ov::element::f32, shape);
        std::copy(video[i].begin(), video[i].end(), copy.data<float>());
        req.set_input_tensor(copy);
        req.infer();
        return copy_of(req.get_output_tensor());
    };
    Way share_both = [&](ov::InferRequest& req, size_t i) {  // zero-copy in and out
        req.set_input_tensor(ov::Tensor(ov::element::f32, shape, video[i].data()));
        req.infer();
        return req.get_output_tensor();
    };
    // The wrong element type: converted on every call.
    Way double_frame = [&](ov::InferRequest& req, size_t i) {
        float* input = req.get_input_tensor().data<float>();
        std::copy(video64[i].begin(), video64[i].end(), input);
        req.infer();
        return copy_of(req.get_output_tensor());
    };

    const std::vector<std::pair<std::string, Way>> ways = {
        {"copy_to(get_input_tensor())", copy_in_copy_out},
        {"std::copy into get_input_tensor()", write_into_request},
        {"set_input_tensor(a copy of the frame)", set_new_tensor},
        {"set_input_tensor(tensor over frame)", share_both},
        {"double frame, converted", double_frame}};
    // One request each.
    std::vector<ov::InferRequest> requests;
    for (const auto& [name, way] : ways) {
        requests.push_back(compiled_model.create_infer_request());
        way(requests.back(), 0);  // warm each request
    }

    std::vector<std::vector<double>> times_ms(ways.size());
    // The ways take turns, the order reversed every other round, so a busier moment
    // hits all alike.
    for (int i = 0; i < FRAMES; ++i)
        for (size_t k = 0; k < ways.size(); ++k) {
            size_t w = i % 2 == 0 ? k : ways.size() - 1 - k;
            auto start = perfguide::Clock::now();
            ways[w].second(requests[w], i % video.size());
            times_ms[w].push_back(perfguide::seconds_since(start) * 1000);
        }
    for (size_t w = 0; w < ways.size(); ++w)
        std::printf("%-38s %7.2f ms per frame\n", ways[w].first.c_str(),
                    perfguide::median(times_ms[w]));
    // --8<-- [end:cost-per-frame]
    result["ways"] = json::object();
    std::vector<double> medians;
    for (size_t w = 0; w < ways.size(); ++w) {
        medians.push_back(perfguide::median(times_ms[w]));
        result["ways"][ways[w].first] = medians.back();
    }
    double fastest = *std::min_element(medians.begin(), medians.end());
    double slowest = *std::max_element(medians.begin(), medians.end());
    result["ways_spread_pct"] = (slowest - fastest) / fastest * 100;
    // Every way must give the same answer for the same frame (checked by the tests).
    ov::Tensor base = ways[0].second(requests[0], 1);
    double between = 0;
    for (size_t w = 0; w < ways.size(); ++w)
        between = std::max(between, perfguide::max_abs_diff(ways[w].second(requests[w], 1), base));
    result["max_abs_between_ways"] = between;
    result["output_scale"] = perfguide::max_abs(base);

    // --8<-- [start:copy-costs]
    ov::Tensor output_tensor = request.get_output_tensor();
    const std::vector<double>& frame64 = video64[0];

    auto microseconds = [](const std::function<void()>& step) {
        std::vector<double> times;
        for (int i = 0; i < 30; ++i) {
            auto start = perfguide::Clock::now();
            step();
            times.push_back(perfguide::seconds_since(start));
        }
        return perfguide::median(times) * 1e6;
    };

    const std::vector<std::pair<std::string, double>> costs_us = {
        {"new ov::Tensor, frame copied in", microseconds([&] {
             ov::Tensor copy(ov::element::f32, shape);
             std::copy(frame.begin(), frame.end(), copy.data<float>());
         })},
        {"ov::Tensor(type, shape, frame.data())",
         microseconds([&] { ov::Tensor(ov::element::f32, shape, frame.data()); })},
        {"std::copy(frame) into input_tensor", microseconds([&] {
             std::copy(frame.begin(), frame.end(), input_tensor.data<float>());
         })},
        {"copy_of(output)", microseconds([&] { copy_of(output_tensor); })},
        {"double frame -> float input_tensor", microseconds([&] {
             std::copy(frame64.begin(), frame64.end(), input_tensor.data<float>());
         })},
    };
    std::printf("input %.1f MiB, output %.1f MiB\n",
                frame.size() * sizeof(float) / double(1 << 20),
                output_tensor.get_byte_size() / double(1 << 20));
    for (const auto& [step, us] : costs_us)
        std::printf("  %-40s %8.0f µs\n", step.c_str(), us);
    // --8<-- [end:copy-costs]
    result["copy_costs_us"] = json::object();
    for (const auto& [step, us] : costs_us) result["copy_costs_us"][step] = us;
    result["tensor_copy_us"] = costs_us[0].second;
    result["tensor_shared_us"] = costs_us[1].second;
    result["write_into_us"] = costs_us[2].second;
    result["output_copy_us"] = costs_us[3].second;
    result["astype_us"] = costs_us[4].second;
    result["input_mib"] = frame.size() * sizeof(float) / double(1 << 20);
    result["output_mib"] = output_tensor.get_byte_size() / double(1 << 20);
    result["copy_in_out_ms"] = medians[0];
    // The copies the default way makes (one in, one out) as a share of its time per frame.
    const double copies_ms = (costs_us[2].second + costs_us[3].second) / 1000;
    result["copies_ms"] = copies_ms;
    result["tenth_of_a_frame_ms"] = medians[0] / 10;  // the bar the page's prose uses
    result["copies_share_pct"] = copies_ms / medians[0] * 100;
    result["share_both_ms"] = medians[3];
    result["float64_ms"] = medians[4];

    // --8<-- [start:share-outputs-caveat]
    request = compiled_model.create_infer_request();
    request.set_input_tensor(ov::Tensor(ov::element::f32, shape, video[0].data()));
    request.infer();
    ov::Tensor first = request.get_output_tensor();
    ov::Tensor first_kept = copy_of(first);  // what you must do to keep a result
    request.set_input_tensor(ov::Tensor(ov::element::f32, shape, video[1].data()));
    request.infer();
    ov::Tensor second = request.get_output_tensor();
    std::printf("the first result now holds the second's values: %s\n",
                perfguide::max_abs_diff(first, second) == 0 ? "true" : "false");
    std::printf("the copy still holds the first result: %s\n",
                perfguide::max_abs_diff(first_kept, second) != 0 ? "true" : "false");
    // --8<-- [end:share-outputs-caveat]
    result["first_view_overwritten"] = perfguide::max_abs_diff(first, second) == 0;
    result["first_copy_kept"] = perfguide::max_abs_diff(first_kept, second) != 0;
    result["first_second_share_memory"] = first.data() == second.data();

    // --8<-- [start:share-inputs-caveat]
    request = compiled_model.create_infer_request();
    std::vector<float> camera_frame = video[0];
    // The request now reads camera_frame itself.
    request.set_input_tensor(ov::Tensor(ov::element::f32, shape, camera_frame.data()));
    request.infer();
    // get_input_tensor() is now the tensor over camera_frame: this copies INTO it.
    float* input = request.get_input_tensor().data<float>();
    std::copy(video[1].begin(), video[1].end(), input);
    request.infer();
    std::printf("camera_frame was overwritten by the next frame: %s\n",
                camera_frame == video[1] ? "true" : "false");
    // --8<-- [end:share-inputs-caveat]
    result["shared_input_overwritten"] = camera_frame == video[1];
    result["frames_differ"] = video[0] != video[1];
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    return perfguide::main(argc, argv, run, "The Inputs and tensors page's examples, in C++.");
}
