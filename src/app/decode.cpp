// `fleetd decode`: decodes frames given in hex (or OsmAnd request lines) and prints one JSON line per
// message and per reply. Bad input: one line on stderr per frame that cannot be decoded, exit status 2.
#include <chrono>
#include <fstream>
#include <iostream>

#include "app/commands.hpp"
#include "core/bytes.hpp"
#include "core/json.hpp"
#include "protocol/gt06/gt06.hpp"
#include "protocol/osmand/osmand.hpp"
#include "protocol/teltonika/teltonika.hpp"

namespace fleet::app {
namespace {

struct DecodeArgs {
    std::string protocol;
    std::string transport = "tcp";
    std::string hex;
    std::string file;
};

constexpr size_t kMaxFrame = 1 << 20;

// Decodes every frame of one stream chunk with `scan` and `decode`; error if bytes are left over.
Result<std::vector<core::Decoded>> DecodeStream(core::Bytes bytes, core::FrameScan (*scan)(core::Bytes, size_t),
                                                Result<core::Decoded> (*decode)(core::Bytes)) {
    std::vector<core::Decoded> out;
    size_t off = 0;
    while (off < bytes.size()) {
        auto s = scan(bytes.subspan(off), kMaxFrame);
        if (s.status == core::FrameScan::Status::kNeedMore) return MakeError("incomplete frame: more bytes needed");
        if (s.status == core::FrameScan::Status::kError) return MakeError(s.error);
        auto d = decode(bytes.subspan(off + s.skip, s.length - s.skip));
        if (!d) return d.error();
        out.push_back(std::move(*d));
        off += s.length;
    }
    if (out.empty()) return MakeError("empty frame");
    return out;
}

Result<std::vector<core::Decoded>> DecodeOne(const DecodeArgs& a, const std::string& line) {
    if (a.protocol == "osmand") {
        auto now = std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now());
        auto d = protocol::osmand::DecodeLine(line, now);
        if (!d) return d.error();
        return std::vector<core::Decoded>{std::move(*d)};
    }
    auto bytes = core::FromHex(line);
    if (!bytes) return bytes.error();
    if (a.protocol == "teltonika" && a.transport == "udp") {
        auto d = protocol::teltonika::DecodeUdp(*bytes);
        if (!d) return d.error();
        return std::vector<core::Decoded>{std::move(*d)};
    }
    if (a.protocol == "teltonika") {
        return DecodeStream(*bytes, &protocol::teltonika::ScanTcp, &protocol::teltonika::DecodeTcp);
    }
    return DecodeStream(*bytes, &protocol::gt06::Scan, &protocol::gt06::Decode);
}

std::string Trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    size_t e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

int RunDecode(const DecodeArgs& a) {
    if (a.protocol != "osmand" && a.transport == "udp" && a.protocol != "teltonika") {
        std::cerr << "fleetd decode: UDP is only used by teltonika\n";
        return 2;
    }
    std::vector<std::string> lines;
    if (!a.hex.empty()) {
        lines.push_back(a.hex);
    } else {
        std::ifstream in(a.file);
        if (!in) {
            std::cerr << "fleetd decode: cannot read " << a.file << "\n";
            return 2;
        }
        std::string line;
        while (std::getline(in, line)) lines.push_back(line);
    }
    int status = 0;
    std::string imei;  // identity from the last login, for frames that do not carry it
    std::string out;
    for (size_t i = 0; i < lines.size(); ++i) {
        std::string line = Trim(lines[i]);
        if (line.empty() || line[0] == '#') continue;
        auto decoded = DecodeOne(a, line);
        if (!decoded) {
            std::cout << std::flush;
            std::cerr << "fleetd decode: line " << (i + 1) << ": " << decoded.error().message << "\n";
            status = 2;
            continue;
        }
        out.clear();
        for (auto& d : *decoded) {
            for (auto& m : d.messages) {
                if (m.type == core::MessageType::kLogin && !m.imei.empty()) imei = m.imei;
                if (m.imei.empty()) m.imei = imei;
                out += core::MessageToJson(m);
                out += '\n';
            }
            if (!d.reply.empty()) {
                out += core::ReplyToJson(d.reply);
                out += '\n';
            }
        }
        std::cout << out;
    }
    std::cout << std::flush;
    return status;
}

}  // namespace

Runner AddDecode(CLI::App& app) {
    auto* cmd = app.add_subcommand("decode", "Decode device frames and print them as JSON lines");
    auto args = std::make_shared<DecodeArgs>();
    cmd->add_option("--protocol", args->protocol, "teltonika, gt06 or osmand")
        ->required()
        ->check(CLI::IsMember({"teltonika", "gt06", "osmand"}));
    cmd->add_option("--transport", args->transport, "tcp (default) or udp")->check(CLI::IsMember({"tcp", "udp"}));
    auto* hex = cmd->add_option("--hex", args->hex, "one frame in hex (OsmAnd: a request line or query string)");
    auto* file = cmd->add_option("--file", args->file, "a file with one frame a line");
    hex->excludes(file);
    return [cmd, args, hex, file]() -> int {
        if (!cmd->parsed()) return -1;
        if (hex->count() == 0 && file->count() == 0) {
            std::cerr << "fleetd decode: give --hex HEX or --file FILE\n";
            return 2;
        }
        return RunDecode(*args);
    };
}

}  // namespace fleet::app
