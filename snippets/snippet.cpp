// The shared part of the C++ snippet programs (see snippet.hpp).
#include "snippet.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <utility>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

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
    if (std::filesystem::is_directory(args.model)) {  // an OpenVINO LLM folder
        if (!std::filesystem::is_regular_file(std::filesystem::path(args.model) / "openvino_model.xml"))
            throw UsageError("a model folder holds an openvino_model.xml: " + args.model);
        return args;
    }
    auto suffix = std::filesystem::path(args.model).extension();
    if (suffix != ".xml" && suffix != ".onnx")
        throw UsageError("a model is an OpenVINO .xml or an .onnx file (or an LLM folder), not " +
                         args.model);
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

Child::Child(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    int to_child[2], from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0)
        throw std::runtime_error("cannot create a pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    std::vector<std::string> argv_strings = {self};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv, envp;
    for (std::string& arg : argv_strings) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings = env;  // first: they win over the inherited ones
    for (char** each = environ; *each; ++each) env_strings.emplace_back(*each);
    for (std::string& var : env_strings) envp.push_back(var.data());
    envp.push_back(nullptr);
    pid_t pid = -1;
    int failed = posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(to_child[0]);
    close(from_child[1]);
    if (failed) {
        close(to_child[1]);
        close(from_child[0]);
        throw std::runtime_error("cannot start " + self);
    }
    pid_ = pid;
    stdin_ = fdopen(to_child[1], "w");
    stdout_ = fdopen(from_child[0], "r");
}

Child::Child(Child&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), stdin_(std::exchange(other.stdin_, nullptr)),
      stdout_(std::exchange(other.stdout_, nullptr)) {}

Child::~Child() {
    if (pid_ > 0) wait();
}

std::string Child::read_line() {
    std::string line;
    for (int c; stdout_ && (c = std::fgetc(stdout_)) != EOF && c != '\n';) line += char(c);
    return line;
}

std::string Child::read_all() {
    std::string output;
    char buffer[4096];
    for (size_t n; stdout_ && (n = std::fread(buffer, 1, sizeof buffer, stdout_)) > 0;)
        output.append(buffer, n);
    return output;
}

void Child::write_line(const std::string& line) {
    std::fputs((line + "\n").c_str(), stdin_);
    std::fflush(stdin_);
}

int Child::wait() {
    if (stdin_) std::fclose(std::exchange(stdin_, nullptr));
    if (stdout_) std::fclose(std::exchange(stdout_, nullptr));
    int status = 0;
    if (pid_ <= 0 || waitpid(std::exchange(pid_, -1), &status, 0) < 0) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

json shape_json(const ov::Shape& shape) {
    json list = json::array();
    for (auto dim : shape) list.push_back(dim);
    return list;
}

}  // namespace perfguide
