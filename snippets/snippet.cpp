// The shared part of the C++ snippet programs (see snippet.hpp).
#include "snippet.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include <unistd.h>

namespace perfguide {

namespace {

const char* USAGE = "usage: %s [--device DEVICE] --model MODEL [--json]\n";

Args parse(int argc, char** argv, const char* doc) {
    Args args;
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw UsageError(std::string(argv[0]) + ": " + flag + " needs a value");
            return argv[++i];
        };
        if (flag == "--device") {
            args.device = value();
        } else if (flag == "--model") {
            args.model = value();
        } else if (flag == "--json") {
            args.json = true;
        } else if (flag == "-h" || flag == "--help") {
            std::printf(USAGE, argv[0]);
            std::printf("\n%s\n\n--device  OpenVINO device (default: CPU)\n"
                        "--model   path to an .xml or .onnx model\n"
                        "--json    print what was observed as JSON, as the last line\n", doc);
            std::exit(0);
        } else {
            throw UsageError(std::string(argv[0]) + ": unrecognized argument " + flag);
        }
    }
    if (args.model.empty()) throw UsageError(std::string(argv[0]) + ": --model is required");
    auto suffix = std::filesystem::path(args.model).extension();
    if (suffix != ".xml" && suffix != ".onnx")
        throw UsageError("a model is an OpenVINO .xml or an .onnx file, not " + args.model);
    std::ifstream readable(args.model);
    if (!readable) throw UsageError("no such model file: " + args.model);
    return args;
}

}  // namespace

std::string last_line(const std::exception& error) {
    std::istringstream lines(error.what());
    std::string line, last;
    while (std::getline(lines, line)) {
        auto start = line.find_first_not_of(" \t");
        if (start != std::string::npos) last = line.substr(start);
    }
    return last;
}

int main(int argc, char** argv, const std::function<json(const Args&)>& body, const char* doc) {
    try {
        Args args = parse(argc, argv, doc);
        json observed = body(args);
        std::cout.flush();
        if (args.json) std::cout << observed.dump() << std::endl;
        return 0;
    } catch (const UsageError& error) {
        std::cerr << "error: " << error.what() << std::endl;
        return 2;
    } catch (const ov::Exception& error) {
        // OpenVINO refused the input (an absent device, an unreadable model): one line, exit 2.
        std::cerr << "error: " << last_line(error) << std::endl;
        return 2;
    }
}

ov::Tensor random_tensor(const ov::Shape& shape, ov::element::Type type, std::uint32_t seed) {
    ov::Tensor tensor(type, shape);
    std::mt19937 engine(seed);
    if (type == ov::element::f32) {
        std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
        float* data = tensor.data<float>();
        for (size_t i = 0; i < tensor.get_size(); ++i) data[i] = uniform(engine);
    } else if (type == ov::element::u8) {
        std::uniform_int_distribution<int> uniform(0, 255);
        auto* data = tensor.data<std::uint8_t>();
        for (size_t i = 0; i < tensor.get_size(); ++i) data[i] = static_cast<std::uint8_t>(uniform(engine));
    } else {
        throw UsageError("random_tensor: only f32 and u8 inputs, not " + type.get_type_name());
    }
    return tensor;
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

double percentile(std::vector<double> values, double q) {
    if (values.empty()) throw std::invalid_argument("percentile of nothing");
    std::sort(values.begin(), values.end());
    double rank = q / 100.0 * static_cast<double>(values.size() - 1);
    auto low = static_cast<size_t>(std::floor(rank));
    size_t high = std::min(low + 1, values.size() - 1);
    return values[low] + (rank - static_cast<double>(low)) * (values[high] - values[low]);
}

double median(std::vector<double> values) { return percentile(std::move(values), 50.0); }

double max_abs_diff(const ov::Tensor& a, const ov::Tensor& b) {
    if (a.get_size() != b.get_size()) throw std::invalid_argument("max_abs_diff: sizes differ");
    const float* x = a.data<const float>();
    const float* y = b.data<const float>();
    double largest = 0.0;
    for (size_t i = 0; i < a.get_size(); ++i) largest = std::max(largest, std::fabs(double(x[i]) - y[i]));
    return largest;
}

double max_abs(const ov::Tensor& a) {
    const float* x = a.data<const float>();
    double largest = 0.0;
    for (size_t i = 0; i < a.get_size(); ++i) largest = std::max(largest, std::fabs(double(x[i])));
    return largest;
}

std::int64_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::int64_t size = 0, resident = 0;
    statm >> size >> resident;
    return resident * sysconf(_SC_PAGESIZE);
}

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "perfguide-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary folder");
    path = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
}

json shape_json(const ov::Shape& shape) {
    json list = json::array();
    for (auto dim : shape) list.push_back(dim);
    return list;
}

}  // namespace perfguide
