// The harness's single-stream loop in C++: one request, synchronous, one inference at a time,
// inputs written once, each call timed by the caller's clock (std::chrono::steady_clock). The
// Python harness (perfguide/bench/cpp_peer.py) runs it beside its own loop on the same model
// file and compile properties, to measure what the return to Python adds to every call.
//
// It stands alone (OpenVINO and nlohmann/json only), apart from the pages' snippet.hpp.
// Usage: single_stream '<spec JSON>', the spec being
//   {"model": path, "device": "CPU", "shapes": {input: [dims]}, "properties": {KEY: "value"},
//    "seconds": 5, "min_count": 10, "warm_s": 0.5}
// It prints {"latencies_s": [...], "count": n, "duration_s": s} on its last line; a bad spec or a
// model OpenVINO refuses is one line on stderr and exit code 2.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <openvino/openvino.hpp>

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// The last non-blank line of a message (OpenVINO's carry the C++ source location first).
std::string last_line(const std::string& message) {
    std::istringstream lines(message);
    std::string line, last;
    while (std::getline(lines, line))
        if (line.find_first_not_of(" \t") != std::string::npos) last = line;
    return last;
}

void fill(ov::Tensor& tensor, std::mt19937& engine) {
    if (tensor.get_element_type() == ov::element::f32) {
        std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
        float* data = tensor.data<float>();
        for (size_t i = 0; i < tensor.get_size(); ++i) data[i] = uniform(engine);
    } else {  // token ids, masks, and any other input: ones (a valid id, an unmasked position)
        auto* bytes = static_cast<std::uint8_t*>(tensor.data());
        std::fill(bytes, bytes + tensor.get_byte_size(), 0);
        if (tensor.get_element_type() == ov::element::i64) {
            std::fill(tensor.data<std::int64_t>(), tensor.data<std::int64_t>() + tensor.get_size(), 1);
        } else if (tensor.get_element_type() == ov::element::i32) {
            std::fill(tensor.data<std::int32_t>(), tensor.data<std::int32_t>() + tensor.get_size(), 1);
        }
    }
}

json measure(const json& spec) {
    ov::Core core;
    std::shared_ptr<ov::Model> model = core.read_model(spec.at("model").get<std::string>());
    const json given_shapes = spec.value("shapes", json::object());
    const json given_properties = spec.value("properties", json::object());
    std::map<std::string, ov::PartialShape> shapes;
    for (const auto& [name, dims] : given_shapes.items())
        shapes[name] = ov::PartialShape(dims.get<std::vector<std::int64_t>>());
    if (!shapes.empty()) model->reshape(shapes);
    ov::AnyMap properties;
    for (const auto& [key, value] : given_properties.items())
        properties[key] = value.get<std::string>();
    ov::CompiledModel compiled =
        core.compile_model(model, spec.at("device").get<std::string>(), properties);
    ov::InferRequest request = compiled.create_infer_request();
    std::mt19937 engine(0);
    for (const auto& input : compiled.inputs()) {
        ov::Tensor tensor = request.get_tensor(input);
        fill(tensor, engine);
    }

    const double seconds = spec.at("seconds").get<double>();
    const auto min_count = spec.at("min_count").get<std::int64_t>();
    auto warm_until = Clock::now() +
                      std::chrono::duration<double>(spec.value("warm_s", 0.0));
    do {
        request.infer();
    } while (Clock::now() < warm_until);

    std::vector<double> latencies;
    latencies.reserve(100000);
    auto start = Clock::now();
    auto deadline = start + std::chrono::duration<double>(seconds);
    while (true) {
        auto before = Clock::now();
        request.infer();
        auto after = Clock::now();
        latencies.push_back(std::chrono::duration<double>(after - before).count());
        if (after >= deadline && static_cast<std::int64_t>(latencies.size()) >= min_count) break;
    }
    return {{"latencies_s", latencies},
            {"count", latencies.size()},
            {"duration_s", std::chrono::duration<double>(Clock::now() - start).count()}};
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "error: usage: " << argv[0] << " '<spec JSON>'" << std::endl;
        return 2;
    }
    try {
        std::cout << measure(json::parse(argv[1])).dump() << std::endl;
        return 0;
    } catch (const json::exception& error) {
        std::cerr << "error: bad spec: " << error.what() << std::endl;
    } catch (const ov::Exception& error) {
        std::cerr << "error: " << last_line(error.what()) << std::endl;
    }
    return 2;
}
