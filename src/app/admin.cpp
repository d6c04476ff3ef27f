// `fleetd admin --data DIR ...`: operator commands on the store. They open the database as a second
// connection, so they work while the server runs. Output is JSON lines.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "app/commands.hpp"
#include "core/bytes.hpp"
#include "core/json.hpp"
#include "core/time.hpp"
#include "store/store.hpp"

namespace fleet::app {
namespace {

struct AdminArgs {
    std::string data = "./var";
    std::string imei;
    std::string protocol;
    std::string name;
    std::string from;
    std::string to;
};

// Device ids: 15-digit IMEIs for Teltonika and GT06; OsmAnd ids are 1-64 of [A-Za-z0-9._:-].
Result<void> ValidateId(const std::string& id, const std::string& protocol) {
    if (protocol == "teltonika" || protocol == "gt06") {
        if (id.size() != 15 || id.find_first_not_of("0123456789") != std::string::npos) {
            return MakeError("an IMEI is 15 digits: '" + id + "'");
        }
        return {};
    }
    if (id.empty() || id.size() > 64 ||
        id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") != std::string::npos) {
        return MakeError("a device id is 1 to 64 letters, digits or ._:- characters");
    }
    return {};
}

std::string DeviceJson(const store::Device& d) {
    std::string out = fmt::format("{{\"id\":{},\"imei\":", d.id);
    core::AppendJsonString(out, d.imei);
    out += ",\"protocol\":";
    core::AppendJsonString(out, d.protocol);
    out += ",\"name\":";
    core::AppendJsonString(out, d.name);
    out += fmt::format(",\"status\":\"{}\",\"created_at\":\"{}\"}}", store::ToString(d.status),
                       core::FormatIso(d.created_at));
    return out;
}

std::string PositionJson(const std::string& imei, const store::PositionRow& p) {
    std::string out = "{\"imei\":";
    core::AppendJsonString(out, imei);
    out += fmt::format(",\"time\":\"{}\",\"server_time\":\"{}\",\"lat\":", core::FormatIso(p.device_time),
                       core::FormatIso(p.server_time));
    core::AppendJsonNumber(out, p.lat);
    out += ",\"lon\":";
    core::AppendJsonNumber(out, p.lon);
    out += ",\"altitude\":";
    core::AppendJsonNumber(out, p.altitude_m);
    out += ",\"speed_kmh\":";
    core::AppendJsonNumber(out, p.speed_kmh);
    out += ",\"course\":";
    core::AppendJsonNumber(out, p.course_deg);
    out += fmt::format(",\"satellites\":{}", p.satellites);
    if (p.hdop) {
        out += ",\"hdop\":";
        core::AppendJsonNumber(out, *p.hdop);
    }
    out += p.valid ? ",\"valid\":true" : ",\"valid\":false";
    out += ",\"io\":" + p.io_json + ",\"attributes\":" + p.attributes_json + "}";
    return out;
}

class Admin {
public:
    explicit Admin(const AdminArgs& a) : a_(a) {}

    int Fail(const std::string& message) {
        std::cerr << "fleetd admin: " << message << "\n";
        return 1;
    }

    // Opens the store; `create` makes the data folder when missing (only commands that add do).
    Result<std::unique_ptr<store::Store>> Open(bool create) {
        namespace fs = std::filesystem;
        fs::path db = fs::path(a_.data) / "fleetd.db";
        if (!fs::exists(db)) {
            if (!create) return MakeError("no fleetd database in " + a_.data + " (run fleetd serve --data " + a_.data + " first)");
            std::error_code ec;
            fs::create_directories(a_.data, ec);
            if (ec) return MakeError("cannot create " + a_.data + ": " + ec.message());
        }
        return store::OpenSqliteStore(db.string());
    }

    int DeviceAdd() {
        if (auto r = ValidateId(a_.imei, a_.protocol); !r) return Fail(r.error().message);
        auto s = Open(true);
        if (!s) return Fail(s.error().message);
        auto d = (*s)->AddDevice(a_.imei, a_.protocol, a_.name);
        if (!d) return Fail(d.error().message);
        std::cout << DeviceJson(*d) << "\n";
        return 0;
    }

    int DeviceList() {
        auto s = Open(false);
        if (!s) return Fail(s.error().message);
        auto devices = (*s)->ListDevices();
        if (!devices) return Fail(devices.error().message);
        for (const auto& d : *devices) std::cout << DeviceJson(d) << "\n";
        return 0;
    }

    int DevicePending() {
        auto s = Open(false);
        if (!s) return Fail(s.error().message);
        auto pending = (*s)->ListPending();
        if (!pending) return Fail(pending.error().message);
        for (const auto& p : *pending) {
            std::string out = "{\"imei\":";
            core::AppendJsonString(out, p.imei);
            out += ",\"protocol\":";
            core::AppendJsonString(out, p.protocol);
            out += fmt::format(",\"first_attempt\":\"{}\",\"last_attempt\":\"{}\",\"address\":",
                               core::FormatIso(p.first_attempt), core::FormatIso(p.last_attempt));
            core::AppendJsonString(out, p.address);
            out += fmt::format(",\"attempts\":{}}}", p.attempts);
            std::cout << out << "\n";
        }
        return 0;
    }

    int DeviceApprove() {
        auto s = Open(false);
        if (!s) return Fail(s.error().message);
        auto d = (*s)->ApproveDevice(a_.imei);
        if (!d) return Fail(d.error().message);
        std::cout << DeviceJson(*d) << "\n";
        return 0;
    }

    int DeviceStatus(store::DeviceStatus status) {
        auto s = Open(false);
        if (!s) return Fail(s.error().message);
        if (auto r = (*s)->SetDeviceStatus(a_.imei, status); !r) return Fail(r.error().message);
        auto d = (*s)->FindDevice(a_.imei);
        if (!d || !d->has_value()) return Fail("device vanished");
        std::cout << DeviceJson(**d) << "\n";
        return 0;
    }

    Result<store::Device> Device(store::Store& s) {
        auto d = s.FindDevice(a_.imei);
        if (!d) return d.error();
        if (!d->has_value()) return MakeError("no device with IMEI " + a_.imei);
        return **d;
    }

    int Positions() {
        core::TimePoint from = core::TimePoint::min(), to = core::TimePoint::max();
        if (!a_.from.empty()) {
            auto t = core::ParseIso(a_.from);
            if (!t) return Fail("--from: " + t.error().message);
            from = *t;
        }
        if (!a_.to.empty()) {
            auto t = core::ParseIso(a_.to);
            if (!t) return Fail("--to: " + t.error().message);
            to = *t;
        }
        auto s = Open(false);
        if (!s) return Fail(s.error().message);
        auto d = Device(**s);
        if (!d) return Fail(d.error().message);
        std::string buf;
        auto r = (*s)->ForEachPosition(d->id, from, to, [&](const store::PositionRow& p) {
            buf += PositionJson(d->imei, p);
            buf += '\n';
            if (buf.size() > (1 << 16)) {
                std::cout << buf;
                buf.clear();
            }
            return true;
        });
        std::cout << buf << std::flush;
        if (!r) return Fail(r.error().message);
        return 0;
    }

    int Frames() {
        auto s = Open(false);
        if (!s) return Fail(s.error().message);
        auto d = Device(**s);
        if (!d) return Fail(d.error().message);
        auto r = (*s)->ForEachFrame(d->id, [&](const store::FrameRow& f) {
            std::cout << fmt::format("{{\"id\":{},\"imei\":\"{}\",\"received_at\":\"{}\",\"protocol\":\"{}\",\"hex\":\"{}\"}}\n",
                                     f.id, d->imei, core::FormatIso(f.received_at), f.protocol, core::ToHex(f.data));
            return true;
        });
        if (!r) return Fail(r.error().message);
        return 0;
    }

private:
    const AdminArgs& a_;
};

}  // namespace

Runner AddAdmin(CLI::App& app) {
    auto* cmd = app.add_subcommand("admin", "Operator commands (work while the server runs)");
    cmd->require_subcommand(1);
    auto a = std::make_shared<AdminArgs>();
    cmd->add_option("--data", a->data, "data folder of the server")->capture_default_str();

    auto* device = cmd->add_subcommand("device", "Register, list, approve and disable devices");
    device->require_subcommand(1);
    auto* add = device->add_subcommand("add", "Register a device");
    add->add_option("--imei", a->imei, "IMEI (OsmAnd: the device id)")->required();
    add->add_option("--protocol", a->protocol, "teltonika, gt06 or osmand")
        ->required()
        ->check(CLI::IsMember({"teltonika", "gt06", "osmand"}));
    add->add_option("--name", a->name, "a name for people");
    auto* list = device->add_subcommand("list", "List registered devices");
    auto* pending = device->add_subcommand("pending", "List unknown devices that tried to connect");
    auto* approve = device->add_subcommand("approve", "Register a pending device");
    approve->add_option("--imei", a->imei, "IMEI")->required();
    auto* disable = device->add_subcommand("disable", "Refuse a device's connections from now on");
    disable->add_option("--imei", a->imei, "IMEI")->required();
    auto* enable = device->add_subcommand("enable", "Accept a disabled device again");
    enable->add_option("--imei", a->imei, "IMEI")->required();

    auto* positions = cmd->add_subcommand("positions", "Print a device's positions as JSON lines, in time order");
    positions->add_option("--imei", a->imei, "IMEI")->required();
    positions->add_option("--from", a->from, "ISO 8601 time (inclusive)");
    positions->add_option("--to", a->to, "ISO 8601 time (inclusive)");
    auto* frames = cmd->add_subcommand("frames", "Print a device's kept raw frames");
    frames->add_option("--imei", a->imei, "IMEI")->required();

    return [=]() -> int {
        if (!cmd->parsed()) return -1;
        Admin admin(*a);
        if (add->parsed()) return admin.DeviceAdd();
        if (list->parsed()) return admin.DeviceList();
        if (pending->parsed()) return admin.DevicePending();
        if (approve->parsed()) return admin.DeviceApprove();
        if (disable->parsed()) return admin.DeviceStatus(store::DeviceStatus::kDisabled);
        if (enable->parsed()) return admin.DeviceStatus(store::DeviceStatus::kActive);
        if (positions->parsed()) return admin.Positions();
        if (frames->parsed()) return admin.Frames();
        return admin.Fail("unknown command");
    };
}

}  // namespace fleet::app
