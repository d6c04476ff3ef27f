// `fleetd admin --data DIR ...`: operator commands on the store. They open the database as a second
// connection, so they work while the server runs. Output is JSON lines.
#include <fmt/format.h>

#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "app/commands.hpp"
#include "auth/auth.hpp"
#include "core/bytes.hpp"
#include "core/json.hpp"
#include "core/time.hpp"
#include "store/accounts.hpp"
#include "store/fleet.hpp"
#include "store/store.hpp"

namespace fleet::app {

std::string DefaultCommonPasswords() {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec).parent_path();
    for (const fs::path& candidate : {exe / "../data/common-passwords.txt", exe / "../share/fleetd/common-passwords.txt",
                                      exe / "data/common-passwords.txt", fs::path("data/common-passwords.txt")}) {
        if (fs::exists(candidate, ec)) return candidate.lexically_normal().string();
    }
    return "";
}

namespace {

struct AdminArgs {
    std::string data = "./var";
    std::string imei;
    std::string protocol;
    std::string name;
    std::string from;
    std::string to;
    // accounts
    std::string tenant;
    std::string email;
    std::string role;
    bool password_stdin = false;
    bool must_change_password = false;
    std::string common_passwords;  // empty: the shipped list
    int64_t argon2_memory_kib = 65536;
    int64_t argon2_ops = 3;
    int64_t limit = 100;
    std::string plate;
};

template <typename T>
std::string Why(const store::Outcome<T>& o) {
    if (const auto* r = o.refused()) return r->detail;
    if (const auto* e = o.error()) return e->message;
    return "unknown failure";
}

core::TimePoint Now() { return std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now()); }

std::string TenantJson(const store::Tenant& t) {
    std::string out = fmt::format("{{\"id\":{},\"name\":", t.id);
    core::AppendJsonString(out, t.name);
    out += fmt::format(",\"status\":\"{}\",\"require_totp\":{},\"created_at\":\"{}\"}}", store::ToString(t.status),
                       t.require_totp, core::FormatIso(t.created_at));
    return out;
}

std::string UserJson(const store::User& u) {
    std::string out = fmt::format("{{\"id\":{},\"tenant\":", u.id);
    core::AppendJsonString(out, u.tenant);
    out += ",\"email\":";
    core::AppendJsonString(out, u.email);
    out += fmt::format(",\"role\":\"{}\",\"must_change_password\":{},\"totp_enabled\":{},\"disabled\":{},"
                       "\"created_at\":\"{}\"}}",
                       store::ToString(u.role), u.must_change_password, u.totp_enabled, u.disabled,
                       core::FormatIso(u.created_at));
    return out;
}

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
    out += ',';
    store::AppendFixJson(out, p);
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

    // --- accounts ---------------------------------------------------------------------------------

    // Opens (migrating) the database and its accounts; the operator's tenant exists afterwards.
    Result<std::unique_ptr<store::AccountStore>> OpenAccounts(bool create) {
        auto s = Open(create);
        if (!s) return s.error();
        auto a = store::AccountStore::Open((std::filesystem::path(a_.data) / "fleetd.db").string());
        if (!a) return a.error();
        if (auto t = (*a)->EnsureOperatorTenant(cli_, Now()); !t) return t.error();
        return a;
    }

    int TenantAdd() {
        auto a = OpenAccounts(true);
        if (!a) return Fail(a.error().message);
        auto t = (*a)->AddTenant(a_.name, cli_, Now());
        if (!t) return Fail(t.error().message);
        std::cout << TenantJson(*t) << "\n";
        return 0;
    }

    int TenantList() {
        auto a = OpenAccounts(false);
        if (!a) return Fail(a.error().message);
        auto list = (*a)->ListTenants();
        if (!list) return Fail(list.error().message);
        for (const auto& t : *list) std::cout << TenantJson(t) << "\n";
        return 0;
    }

    int TenantStatus(store::TenantStatus status) {
        auto a = OpenAccounts(false);
        if (!a) return Fail(a.error().message);
        auto t = (*a)->SetTenantStatus(a_.name, status, cli_, Now());
        if (!t) return Fail(t.error().message);
        std::cout << TenantJson(*t) << "\n";
        return 0;
    }

    int UserAdd() {
        auto role = store::ParseRole(a_.role);
        if (!role) return Fail("unknown role '" + a_.role + "'");
        if ((*role == store::Role::kOperatorAdmin) != (a_.tenant == store::kOperatorTenant)) {
            return Fail("operator-admin is the role of the operator's tenant, and only of it");
        }
        auto email = store::NormaliseEmail(a_.email);
        if (!email) return Fail("--email: " + email.error().message);
        if (!a_.password_stdin) return Fail("give the password on standard input with --password-stdin");
        std::string password;
        if (::isatty(STDIN_FILENO)) std::cerr << "password: " << std::flush;
        std::getline(std::cin, password);
        if (!password.empty() && password.back() == '\r') password.pop_back();
        std::string list_path = a_.common_passwords.empty() ? DefaultCommonPasswords() : a_.common_passwords;
        if (list_path.empty()) return Fail("cannot find common-passwords.txt; pass --common-passwords FILE");
        auto common = auth::CommonPasswords::Load(list_path);
        if (!common) return Fail(common.error().message);
        if (auto r = auth::CheckNewPassword(password, *email, a_.tenant, *common); !r) {
            return Fail("password refused: " + r.error().message);
        }
        if (auto r = auth::Init(); !r) return Fail(r.error().message);
        auth::HashCost cost;
        cost.mem_bytes = static_cast<size_t>(a_.argon2_memory_kib) * 1024;
        cost.ops = static_cast<uint64_t>(a_.argon2_ops);
        auto hash = auth::HashPassword(password, cost);
        if (!hash) return Fail(hash.error().message);
        auto a = OpenAccounts(a_.tenant == store::kOperatorTenant);
        if (!a) return Fail(a.error().message);
        auto scope = (*a)->OperatorScope(a_.tenant);
        if (!scope) return Fail(scope.error().message);
        auto u = (*a)->AddUser(*scope, store::NewUser{*email, *hash, *role, a_.must_change_password}, cli_, Now());
        if (!u) return Fail(u.error().message);
        std::cout << UserJson(*u) << "\n";
        return 0;
    }

    int UserList() {
        auto a = OpenAccounts(false);
        if (!a) return Fail(a.error().message);
        auto scope = (*a)->OperatorScope(a_.tenant);
        if (!scope) return Fail(scope.error().message);
        auto list = (*a)->ListUsers(*scope);
        if (!list) return Fail(list.error().message);
        for (const auto& u : *list) std::cout << UserJson(u) << "\n";
        return 0;
    }

    // A tenant's vehicle, optionally with a device installed from now (the device is given to the
    // tenant first when it is still the operator's stock). For onboarding and the demo.
    int VehicleAdd() {
        auto a = OpenAccounts(false);
        if (!a) return Fail(a.error().message);
        auto scope = (*a)->OperatorScope(a_.tenant);
        if (!scope) return Fail(scope.error().message);
        store::FleetStore fleet(**a);
        store::Viewer viewer{*scope, 0};
        std::optional<store::FleetDevice> device;
        if (!a_.imei.empty()) {
            store::DeviceFilter filter;
            filter.q = a_.imei;
            auto found = fleet.OperatorListDevices(filter, store::Paging{});
            if (!found) return Fail(found.error().message);
            for (const auto& d : found->items) {
                if (d.imei == a_.imei) device = d;
            }
            if (!device) return Fail("no registered device with IMEI " + a_.imei + " (fleetd admin device add)");
            if (device->tenant_id && *device->tenant_id != scope->tenant_id()) {
                return Fail("device " + a_.imei + " belongs to tenant '" + device->tenant + "'");
            }
            if (device->vehicle_id) return Fail("device " + a_.imei + " is already installed in a vehicle");
        }
        store::VehicleChange change;
        change.name = a_.name;
        if (!a_.plate.empty()) change.plate = a_.plate;
        auto v = fleet.AddVehicle(viewer, change, cli_, Now());
        if (!v) return Fail(Why(v));
        if (device) {
            if (!device->tenant_id) {
                store::DeviceChange give;
                give.tenant = std::optional<store::TenantScope>(*scope);
                auto g = fleet.OperatorUpdateDevice(device->id, give, cli_, Now());
                if (!g) return Fail(Why(g));
            }
            store::NewInstallation inst;
            inst.vehicle_id = v->id;
            inst.device_id = device->id;
            inst.from = Now();
            auto i = fleet.AddInstallation(viewer, inst, cli_, Now());
            if (!i) return Fail(Why(i));
        }
        std::string out = fmt::format("{{\"id\":{},\"tenant\":", v->id);
        core::AppendJsonString(out, a_.tenant);
        out += ",\"name\":";
        core::AppendJsonString(out, v->name);
        out += ",\"imei\":";
        if (device) {
            core::AppendJsonString(out, device->imei);
        } else {
            out += "null";
        }
        std::cout << out << "}\n";
        return 0;
    }

    // The e-mail fleetd queued (lockout notices, reset codes), as JSON lines, oldest first: what a
    // development set-up without SMTP reads (the mailer also writes them to <data>/outbox/*.eml).
    int Outbox() {
        auto a = OpenAccounts(false);
        if (!a) return Fail(a.error().message);
        auto mail = (*a)->ListMail(a_.limit);
        if (!mail) return Fail(mail.error().message);
        for (const auto& m : *mail) {
            std::string out = fmt::format("{{\"id\":{},\"created_at\":\"{}\",\"kind\":", m.id, core::FormatIso(m.created_at));
            core::AppendJsonString(out, m.kind);
            out += ",\"to\":";
            core::AppendJsonString(out, m.recipient);
            out += ",\"subject\":";
            core::AppendJsonString(out, m.subject);
            out += ",\"body\":";
            core::AppendJsonString(out, m.body);
            out += fmt::format(",\"attempts\":{},\"sent_at\":", m.attempts);
            out += m.sent_at ? "\"" + core::FormatIso(*m.sent_at) + "\"" : std::string("null");
            std::cout << out << "}\n";
        }
        return 0;
    }

    int AuditVerify() {
        auto a = OpenAccounts(false);
        if (!a) return Fail(a.error().message);
        auto check = (*a)->VerifyAudit();
        if (!check) return Fail(check.error().message);
        if (check->ok) {
            std::cout << fmt::format("{{\"ok\":true,\"entries\":{},\"head_hash\":\"{}\"}}\n", check->entries,
                                     check->head_hash);
            return 0;
        }
        std::string out = fmt::format("{{\"ok\":false,\"first_broken_id\":{},\"reason\":", check->first_broken_id.value_or(0));
        core::AppendJsonString(out, check->reason);
        std::cout << out << "}\n";
        std::cerr << "fleetd admin: audit log broken at entry " << check->first_broken_id.value_or(0) << ": "
                  << check->reason << "\n";
        return 1;
    }

    int AuditList() {
        auto a = OpenAccounts(false);
        if (!a) return Fail(a.error().message);
        std::optional<store::TenantScope> scope;
        if (!a_.tenant.empty()) {
            auto s = (*a)->OperatorScope(a_.tenant);
            if (!s) return Fail(s.error().message);
            scope = *s;
        }
        auto list = (*a)->ListAudit(scope, a_.limit);
        if (!list) return Fail(list.error().message);
        for (auto it = list->rbegin(); it != list->rend(); ++it) std::cout << store::AuditJson(*it) << "\n";
        return 0;
    }

private:
    const AdminArgs& a_;
    const store::Actor cli_{"cli", std::nullopt, ""};
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

    auto* tenant = cmd->add_subcommand("tenant", "Add, list, suspend and reactivate tenants (customer organisations)");
    tenant->require_subcommand(1);
    auto* tenant_add = tenant->add_subcommand("add", "Add a tenant");
    tenant_add->add_option("--name", a->name, "lower-case letters, digits and '-'")->required();
    auto* tenant_list = tenant->add_subcommand("list", "List tenants");
    auto* tenant_suspend = tenant->add_subcommand("suspend", "Suspend a tenant: its users cannot sign in");
    tenant_suspend->add_option("--name", a->name, "tenant")->required();
    auto* tenant_activate = tenant->add_subcommand("activate", "Reactivate a suspended tenant");
    tenant_activate->add_option("--name", a->name, "tenant")->required();

    auto* user = cmd->add_subcommand("user", "Add and list users");
    user->require_subcommand(1);
    auto* user_add = user->add_subcommand("add", "Add a user (the password is read from standard input)");
    user_add->add_option("--tenant", a->tenant, "tenant name ('operator' for the operator's staff)")->required();
    user_add->add_option("--email", a->email, "e-mail address (the sign-in name)")->required();
    user_add->add_option("--role", a->role, "operator-admin, tenant-admin, fleet-manager, viewer or driver")
        ->required()
        ->check(CLI::IsMember({"operator-admin", "tenant-admin", "fleet-manager", "viewer", "driver"}));
    user_add->add_flag("--password-stdin", a->password_stdin, "read the password from the first line of stdin");
    user_add->add_flag("--must-change-password", a->must_change_password, "the user must change it at first sign-in");
    user_add->add_option("--common-passwords", a->common_passwords, "list of refused passwords (default: the shipped one)");
    user_add->add_option("--argon2-memory-kib", a->argon2_memory_kib, "argon2id memory cost (KiB)")
        ->check(CLI::Range(int64_t{8}, int64_t{4} << 20))
        ->capture_default_str();
    user_add->add_option("--argon2-ops", a->argon2_ops, "argon2id passes")->check(CLI::Range(1, 10))->capture_default_str();
    auto* user_list = user->add_subcommand("list", "List a tenant's users");
    user_list->add_option("--tenant", a->tenant, "tenant name")->required();

    auto* vehicle = cmd->add_subcommand("vehicle", "Add a tenant's vehicles");
    vehicle->require_subcommand(1);
    auto* vehicle_add = vehicle->add_subcommand("add", "Add a vehicle, optionally with a device installed from now");
    vehicle_add->add_option("--tenant", a->tenant, "tenant name")->required();
    vehicle_add->add_option("--name", a->name, "the vehicle's name")->required();
    vehicle_add->add_option("--plate", a->plate, "registration plate");
    vehicle_add->add_option("--imei", a->imei, "a registered device to install (given to the tenant if it is stock)");

    auto* outbox = cmd->add_subcommand("outbox", "Print the latest e-mails fleetd queued (sent or not), oldest first");
    outbox->add_option("--limit", a->limit, "most mails")->check(CLI::Range(1, 100000))->capture_default_str();

    auto* audit = cmd->add_subcommand("audit", "Read and verify the audit log");
    audit->require_subcommand(1);
    auto* audit_verify = audit->add_subcommand("verify", "Check the hash chain; exit 1 at the first broken entry");
    auto* audit_list = audit->add_subcommand("list", "Print the latest entries, oldest first");
    audit_list->add_option("--tenant", a->tenant, "only this tenant's entries");
    audit_list->add_option("--limit", a->limit, "most entries")->check(CLI::Range(1, 1000000))->capture_default_str();

    return [=]() -> int {
        if (!cmd->parsed()) return -1;
        Admin admin(*a);
        if (tenant_add->parsed()) return admin.TenantAdd();
        if (tenant_list->parsed()) return admin.TenantList();
        if (tenant_suspend->parsed()) return admin.TenantStatus(store::TenantStatus::kSuspended);
        if (tenant_activate->parsed()) return admin.TenantStatus(store::TenantStatus::kActive);
        if (user_add->parsed()) return admin.UserAdd();
        if (user_list->parsed()) return admin.UserList();
        if (vehicle_add->parsed()) return admin.VehicleAdd();
        if (outbox->parsed()) return admin.Outbox();
        if (audit_verify->parsed()) return admin.AuditVerify();
        if (audit_list->parsed()) return admin.AuditList();
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
