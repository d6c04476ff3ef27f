#include "store/notify.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "core/time.hpp"
#include "store/test_database.hpp"
#include "store/store.hpp"

namespace fleet::store {
namespace {

namespace fs = std::filesystem;
using core::TimePoint;
using namespace std::chrono_literals;

using test::Ok;
using test::RefusalOf;

// Events are the pipeline's to write (its scenario tests cover how they are derived); these tests
// insert the rows directly, as the runner would.
class NotifyStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("fleetd_notify_test_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        path_ = (dir_ / "fleetd.db").string();
        auto s = OpenSqliteStore(path_);
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(*s);
        Reopen();
        ASSERT_TRUE(accounts_->AddTenant("acme", cli_, now_).ok());
        ASSERT_TRUE(accounts_->AddTenant("globex", cli_, now_).ok());
        acme_ = *accounts_->OperatorScope("acme");
        globex_ = *accounts_->OperatorScope("globex");
        Exec("UPDATE tenants SET time_zone = 'Europe/Paris'");
        manager_ = AddUser(acme_, "manager@acme.example", Role::kFleetManager);
        ann_ = AddUser(acme_, "ann@acme.example", Role::kViewer);
        bob_ = AddUser(acme_, "bob@acme.example", Role::kViewer);
        dan_ = AddUser(acme_, "dan@acme.example", Role::kDriver);
        gus_ = AddUser(globex_, "gus@globex.example", Role::kFleetManager);
        Viewer acme{acme_};
        g1_ = Ok(fleet_->AddGroup(acme, "north", cli_, now_)).id;
        g2_ = Ok(fleet_->AddGroup(acme, "south", cli_, now_)).id;
        v1_ = AddVehicle(acme, "Van 1", {g1_, g2_});  // in both groups: shared
        v2_ = AddVehicle(acme, "Van 2", {g2_});
        gv_ = AddVehicle(Viewer{globex_}, "Globex van", {});
    }
    void TearDown() override {
        notify_.reset();
        fleet_.reset();
        accounts_.reset();
        store_.reset();
        fs::remove_all(dir_);
    }

    // A new connection, as after a restart.
    void Reopen() {
        notify_.reset();
        fleet_.reset();
        accounts_.reset();
        auto a = AccountStore::Open(path_);
        ASSERT_TRUE(a.ok()) << a.error().message;
        accounts_ = std::move(*a);
        fleet_ = std::make_unique<FleetStore>(*accounts_);
        notify_ = std::make_unique<NotifyStore>(*accounts_);
    }

    void Exec(const std::string& sql) {
        store::test::ExecSql(path_, sql);
    }

    int64_t AddUser(TenantScope scope, const std::string& email, Role role) {
        auto u = accounts_->AddUser(scope, NewUser{email, "$argon2id$fake", role, false}, cli_, now_);
        EXPECT_TRUE(u.ok());
        return u.ok() ? u->id : 0;
    }
    int64_t AddVehicle(const Viewer& viewer, const std::string& name, std::vector<int64_t> groups) {
        VehicleChange c;
        c.name = name;
        if (!groups.empty()) c.group_ids = groups;
        return Ok(fleet_->AddVehicle(viewer, c, cli_, now_)).id;
    }
    // An event row as the pipeline writes it; returns its id.
    int64_t AddEvent(TenantScope tenant, std::optional<int64_t> vehicle, const std::string& type) {
        static int n = 0;
        ++n;
        Exec(fmt::format("INSERT INTO events (key, tenant_id, vehicle_id, type, time, lat, lon, detail, created_at) "
                         "VALUES ('d1:{}:{}', {}, {}, '{}', {}, 48.85, 2.35, '{{\"speed_kmh\":97}}', {})",
                         type, n, tenant.tenant_id(), vehicle ? std::to_string(*vehicle) : "NULL", type,
                         ToMsTest(now_) + n, ToMsTest(now_)));
        sqlite3* db = nullptr;
        sqlite3_open(path_.c_str(), &db);
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v2(db, "SELECT max(id) FROM events", -1, &s, nullptr);
        sqlite3_step(s);
        int64_t id = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        sqlite3_close(db);
        return id;
    }
    static int64_t ToMsTest(TimePoint t) { return t.time_since_epoch().count(); }

    RuleChange Rule(const std::string& name, std::vector<std::string> types, std::vector<std::string> channels,
                    std::vector<int64_t> users) {
        RuleChange c;
        c.name = name;
        c.event_types = std::move(types);
        c.channels = std::move(channels);
        c.user_ids = std::move(users);
        return c;
    }
    int64_t AddRule(const RuleChange& c) { return Ok(notify_->AddRule(Viewer{acme_}, c, cli_, now_)).id; }
    int64_t AddWebhook(const std::string& name, bool enabled = true) {
        Webhook w;
        w.name = name;
        w.url = "https://hooks.example/" + name;
        w.enabled = enabled;
        return Ok(notify_->AddWebhook(acme_, w, "sealed-secret", cli_, now_)).id;
    }

    // Every notification row as "event channel recipient status".
    std::set<std::string> Rows() {
        DeliveryFilter all;
        std::set<std::string> out;
        for (TenantScope t : {acme_, globex_}) {
            auto page = notify_->ListDeliveries(t, all, Paging{1000, 0, "", false});
            EXPECT_TRUE(page.ok()) << page.error().message;
            for (const auto& n : page->items) {
                out.insert(fmt::format("{} {} {} {}", n.event.id, n.channel, n.recipient, n.status));
            }
        }
        return out;
    }
    std::string U(int64_t id) { return fmt::format("user:{}", id); }

    MatchResult Match(TimePoint at, int64_t batch = 100) {
        auto r = notify_->MatchEvents(at, batch);
        EXPECT_TRUE(r.ok()) << r.error().message;
        return r.ok() ? *r : MatchResult{};
    }

    fs::path dir_;
    std::string path_;
    std::unique_ptr<Store> store_;
    std::unique_ptr<AccountStore> accounts_;
    std::unique_ptr<FleetStore> fleet_;
    std::unique_ptr<NotifyStore> notify_;
    Actor cli_{"cli", std::nullopt, ""};
    TimePoint now_ = *core::ParseIso("2026-03-02T11:00:00Z");  // 12:00 in Paris (CET)
    TenantScope acme_ = AccountStore::ScopeOf(User{});
    TenantScope globex_ = AccountStore::ScopeOf(User{});
    int64_t manager_ = 0, ann_ = 0, bob_ = 0, dan_ = 0, gus_ = 0;
    int64_t g1_ = 0, g2_ = 0, v1_ = 0, v2_ = 0, gv_ = 0;
};

TEST_F(NotifyStoreTest, RulesAreValidatedStoredChangedDeletedAndAudited) {
    RuleChange c = Rule("Speeding", {"overspeed", "harsh_braking", "overspeed"}, {"web", "email"}, {ann_, ann_});
    c.group_ids = std::vector<int64_t>{g1_};
    c.quiet_start = std::optional<std::string>("22:00");
    c.quiet_end = std::optional<std::string>("06:30");
    NotificationRule r = Ok(notify_->AddRule(Viewer{acme_}, c, cli_, now_));
    EXPECT_EQ(r.event_types, (std::vector<std::string>{"harsh_braking", "overspeed"}));  // sorted, deduplicated
    EXPECT_EQ(r.user_ids, std::vector<int64_t>{ann_});
    auto found = notify_->FindRule(acme_, r.id);
    ASSERT_TRUE(found.ok() && found->has_value());
    EXPECT_EQ((*found)->channels, (std::vector<std::string>{"email", "web"}));
    EXPECT_EQ((*found)->quiet_start, "22:00");
    EXPECT_EQ((*found)->group_ids, std::vector<int64_t>{g1_});

    auto refused = [&](RuleChange bad) { return RefusalOf(notify_->AddRule(Viewer{acme_}, bad, cli_, now_)); };
    EXPECT_EQ(refused(Rule("x", {"teleportation"}, {"web"}, {ann_})), Refusal::kInvalid);
    EXPECT_EQ(refused(Rule("x", {}, {"web"}, {ann_})), Refusal::kInvalid);
    EXPECT_EQ(refused(Rule("x", {"sos"}, {"sms"}, {ann_})), Refusal::kInvalid);
    EXPECT_EQ(refused(Rule("x", {"sos"}, {"web"}, {})), Refusal::kInvalid);       // nobody to tell
    EXPECT_EQ(refused(Rule("x", {"sos"}, {"webhook"}, {})), Refusal::kInvalid);   // no webhook
    EXPECT_EQ(refused(Rule("\x01", {"sos"}, {"web"}, {ann_})), Refusal::kInvalid);
    EXPECT_EQ(refused(Rule("Speeding", {"sos"}, {"web"}, {ann_})), Refusal::kConflict);
    RuleChange half = Rule("x", {"sos"}, {"web"}, {ann_});
    half.quiet_start = std::optional<std::string>("22:00");
    EXPECT_EQ(refused(half), Refusal::kInvalid);
    half.quiet_end = std::optional<std::string>("24:00");
    EXPECT_EQ(refused(half), Refusal::kInvalid);
    half.quiet_end = std::optional<std::string>("22:00");
    EXPECT_EQ(refused(half), Refusal::kInvalid);
    // Another tenant's vehicle, user and webhook are not found, like missing ones.
    RuleChange theirs = Rule("x", {"sos"}, {"web"}, {ann_});
    theirs.vehicle_ids = std::vector<int64_t>{gv_};
    EXPECT_EQ(refused(theirs), Refusal::kNotFound);
    EXPECT_EQ(refused(Rule("x", {"sos"}, {"web"}, {gus_})), Refusal::kNotFound);
    EXPECT_FALSE(notify_->FindRule(globex_, r.id)->has_value());
    EXPECT_EQ(RefusalOf(notify_->DeleteRule(globex_, r.id, cli_, now_)), Refusal::kNotFound);

    RuleChange off;
    off.enabled = false;
    off.quiet_start = std::optional<std::string>();
    off.quiet_end = std::optional<std::string>();
    NotificationRule changed = Ok(notify_->UpdateRule(Viewer{acme_}, r.id, off, cli_, now_));
    EXPECT_FALSE(changed.enabled);
    EXPECT_FALSE(changed.quiet_start.has_value());
    EXPECT_EQ(changed.name, "Speeding");
    EXPECT_TRUE(Ok(notify_->DeleteRule(acme_, r.id, cli_, now_)) == Done{});
    EXPECT_FALSE(notify_->FindRule(acme_, r.id)->has_value());

    auto audit = accounts_->ListAudit(acme_, 10);
    ASSERT_TRUE(audit.ok());
    std::vector<std::string> actions;
    for (const auto& e : *audit) actions.push_back(e.action);
    EXPECT_EQ(std::vector<std::string>(actions.begin(), actions.begin() + 3),
              (std::vector<std::string>{"notification_rule.delete", "notification_rule.update",
                                        "notification_rule.add"}));
}

TEST_F(NotifyStoreTest, ANarrowedManagerNamesOnlyVehiclesAndGroupsItSees) {
    Exec(fmt::format("INSERT INTO user_groups (user_id, group_id) VALUES ({}, {})", manager_, g1_));
    Viewer narrowed{acme_, manager_};
    RuleChange c = Rule("mine", {"sos"}, {"web"}, {manager_});
    c.vehicle_ids = std::vector<int64_t>{v2_};  // only in south
    EXPECT_EQ(RefusalOf(notify_->AddRule(narrowed, c, cli_, now_)), Refusal::kNotFound);
    c.vehicle_ids = std::vector<int64_t>{v1_};
    c.group_ids = std::vector<int64_t>{g2_};
    EXPECT_EQ(RefusalOf(notify_->AddRule(narrowed, c, cli_, now_)), Refusal::kNotFound);
    c.group_ids = std::vector<int64_t>{g1_};
    EXPECT_TRUE(notify_->AddRule(narrowed, c, cli_, now_).ok());
}

TEST_F(NotifyStoreTest, ARecipientIsToldOncePerEventAndChannelHoweverManyRulesAndGroupsMatch) {
    RuleChange by_vehicle = Rule("by vehicle", {"overspeed"}, {"web", "email"}, {ann_});
    by_vehicle.vehicle_ids = std::vector<int64_t>{v1_};
    AddRule(by_vehicle);
    RuleChange by_groups = Rule("by groups", {"overspeed", "sos"}, {"web"}, {ann_, manager_});
    by_groups.group_ids = std::vector<int64_t>{g1_, g2_};  // v1 is in both
    AddRule(by_groups);
    AddRule(Rule("everything", {"overspeed"}, {"web"}, {ann_}));

    int64_t e1 = AddEvent(acme_, v1_, "overspeed");
    int64_t e2 = AddEvent(acme_, v2_, "overspeed");
    int64_t e3 = AddEvent(acme_, v2_, "ignition_on");  // no rule names it
    MatchResult r = Match(now_);
    EXPECT_EQ(r.events, 3);
    EXPECT_EQ(r.cursor, e3);
    EXPECT_EQ(r.notifications, 5);
    EXPECT_EQ(Rows(), (std::set<std::string>{
                          fmt::format("{} web {} pending", e1, U(ann_)),
                          fmt::format("{} email {} pending", e1, U(ann_)),
                          fmt::format("{} web {} pending", e1, U(manager_)),
                          fmt::format("{} web {} pending", e2, U(ann_)),
                          fmt::format("{} web {} pending", e2, U(manager_)),
                      }));
    EXPECT_EQ(Match(now_).events, 0);  // nothing twice
}

TEST_F(NotifyStoreTest, RecipientsAreActiveFleetReadersWhoSeeTheVehicle) {
    Exec(fmt::format("INSERT INTO user_groups (user_id, group_id) VALUES ({}, {})", bob_, g1_));  // north only
    AddRule(Rule("all", {"sos"}, {"web"}, {ann_, bob_, dan_, manager_}));
    ASSERT_TRUE(accounts_->UpdateUser(acme_, manager_, UserChange{std::nullopt, std::nullopt, true, std::nullopt},
                                      [](const UserDetail&) { return std::nullopt; }, cli_, now_)
                    .ok());  // disabled
    int64_t north = AddEvent(acme_, v1_, "sos");
    int64_t south = AddEvent(acme_, v2_, "sos");
    Match(now_);
    EXPECT_EQ(Rows(), (std::set<std::string>{
                          fmt::format("{} web {} pending", north, U(ann_)),
                          fmt::format("{} web {} pending", north, U(bob_)),  // v1 is in north
                          fmt::format("{} web {} pending", south, U(ann_)),  // bob does not see v2; dan drives
                      }));
}

TEST_F(NotifyStoreTest, EventsWithoutVehicleOfSuspendedTenantsOrOtherTenantsNotifyNobody) {
    AddRule(Rule("all", {"sos", "device_offline"}, {"web"}, {ann_}));
    int64_t offline = AddEvent(acme_, std::nullopt, "device_offline");
    int64_t theirs = AddEvent(globex_, gv_, "sos");
    EXPECT_EQ(Match(now_).cursor, theirs);
    EXPECT_TRUE(Rows().empty()) << offline;
    ASSERT_TRUE(accounts_->SetTenantStatus("acme", TenantStatus::kSuspended, cli_, now_).ok());
    AddEvent(acme_, v1_, "sos");
    Match(now_);
    EXPECT_TRUE(Rows().empty());
}

TEST_F(NotifyStoreTest, QuietHoursAcrossMidnightInTheTenantsZoneSuppressEmailAndWebhooksNotTheInbox) {
    int64_t hook = AddWebhook("ops");
    RuleChange night = Rule("night", {"sos"}, {"web", "email", "webhook"}, {ann_});
    night.webhook_ids = std::vector<int64_t>{hook};
    night.quiet_start = std::optional<std::string>("22:00");
    night.quiet_end = std::optional<std::string>("06:00");
    AddRule(night);

    int64_t late = AddEvent(acme_, v1_, "sos");
    Match(*core::ParseIso("2026-03-02T22:30:00Z"));  // 23:30 in Paris: quiet
    int64_t early = AddEvent(acme_, v1_, "sos");
    Match(*core::ParseIso("2026-03-03T04:59:00Z"));  // 05:59 in Paris: still quiet
    int64_t morning = AddEvent(acme_, v1_, "sos");
    Match(*core::ParseIso("2026-03-03T05:00:00Z"));  // 06:00 in Paris: the window has ended
    int64_t evening = AddEvent(acme_, v1_, "sos");
    Match(*core::ParseIso("2026-03-02T20:59:00Z"));  // 21:59 in Paris (22:59 UTC would be quiet)
    std::set<std::string> want;
    for (int64_t e : {late, early}) {
        for (const char* ch : {"web", "email"}) want.insert(fmt::format("{} {} {} quiet", e, ch, U(ann_)));
        want.insert(fmt::format("{} webhook webhook:{} quiet", e, hook));
    }
    for (int64_t e : {morning, evening}) {
        for (const char* ch : {"web", "email"}) want.insert(fmt::format("{} {} {} pending", e, ch, U(ann_)));
        want.insert(fmt::format("{} webhook webhook:{} pending", e, hook));
    }
    EXPECT_EQ(Rows(), want);
    // Quiet rows are never due; the inbox still has them.
    auto due = notify_->DueDeliveries(*core::ParseIso("2026-03-04T00:00:00Z"), 100);
    ASSERT_TRUE(due.ok());
    EXPECT_EQ(due->size(), 6u);
    auto inbox = notify_->ListInbox(Viewer{acme_, ann_}, false, Paging{100, 0, "", false});
    ASSERT_TRUE(inbox.ok());
    EXPECT_EQ(inbox->page.total, 4);
}

TEST_F(NotifyStoreTest, ARecipientIsQuietOnlyWhenEveryRuleReachingItIs) {
    RuleChange quiet = Rule("quiet", {"sos"}, {"email"}, {ann_});
    quiet.quiet_start = std::optional<std::string>("00:00");
    quiet.quiet_end = std::optional<std::string>("23:59");
    AddRule(quiet);
    AddRule(Rule("loud", {"sos"}, {"email"}, {ann_}));
    int64_t e = AddEvent(acme_, v1_, "sos");
    Match(now_);
    EXPECT_EQ(Rows(), (std::set<std::string>{fmt::format("{} email {} pending", e, U(ann_))}));
}

TEST_F(NotifyStoreTest, TheCursorResumesAfterARestartInBoundedBatches) {
    AddRule(Rule("all", {"sos"}, {"web"}, {ann_}));
    std::vector<int64_t> events;
    for (int i = 0; i < 5; ++i) events.push_back(AddEvent(acme_, v1_, "sos"));
    MatchResult first = Match(now_, 2);
    EXPECT_EQ(first.events, 2);
    EXPECT_EQ(first.cursor, events[1]);
    Reopen();  // a restart: the cursor is in the database
    MatchResult second = Match(now_, 2);
    EXPECT_EQ(second.events, 2);
    EXPECT_EQ(second.cursor, events[3]);
    events.push_back(AddEvent(acme_, v1_, "sos"));
    Reopen();
    EXPECT_EQ(Match(now_, 100).events, 2);
    EXPECT_EQ(Match(now_, 100).events, 0);
    EXPECT_EQ(Rows().size(), 6u);
}

TEST_F(NotifyStoreTest, DisabledRulesAndWebhooksAreSkipped) {
    int64_t off_hook = AddWebhook("off", false);
    int64_t on_hook = AddWebhook("on");
    RuleChange hooks = Rule("hooks", {"crash"}, {"webhook"}, {});
    hooks.webhook_ids = std::vector<int64_t>{off_hook, on_hook};
    AddRule(hooks);
    RuleChange disabled = Rule("disabled", {"crash"}, {"web"}, {ann_});
    disabled.enabled = false;
    AddRule(disabled);
    int64_t e = AddEvent(acme_, v2_, "crash");
    Match(now_);
    EXPECT_EQ(Rows(), (std::set<std::string>{fmt::format("{} webhook webhook:{} pending", e, on_hook)}));
}

TEST_F(NotifyStoreTest, DeliveriesAreRetriedGivenUpSentOrMailed) {
    int64_t hook = AddWebhook("ops");
    RuleChange r = Rule("r", {"sos"}, {"email", "webhook"}, {ann_});
    r.webhook_ids = std::vector<int64_t>{hook};
    AddRule(r);
    int64_t e = AddEvent(acme_, v1_, "sos");
    Match(now_);
    auto due = notify_->DueDeliveries(now_, 10);
    ASSERT_TRUE(due.ok()) << due.error().message;
    ASSERT_EQ(due->size(), 2u);
    const Delivery* mail = nullptr;
    const Delivery* call = nullptr;
    for (const auto& d : *due) (d.notification.channel == "email" ? mail : call) = &d;
    ASSERT_TRUE(mail && call);
    EXPECT_EQ(mail->email, "ann@acme.example");
    EXPECT_EQ(mail->time_zone, "Europe/Paris");
    EXPECT_EQ(mail->notification.event.vehicle_name, "Van 1");
    EXPECT_EQ(mail->notification.event.detail_json, R"({"speed_kmh":97})");
    ASSERT_TRUE(call->webhook.has_value());
    EXPECT_EQ(call->webhook->secret_sealed, "sealed-secret");
    EXPECT_EQ(call->notification.event.id, e);

    OutgoingMail m;
    m.created_at = now_;
    m.kind = "notification";
    m.recipient = mail->email;
    m.subject = "sos";
    m.body = "body";
    ASSERT_TRUE(notify_->QueueMail(mail->notification.id, m, now_).ok());
    auto queued = accounts_->ListMail(10);
    ASSERT_TRUE(queued.ok());
    ASSERT_EQ(queued->size(), 1u);
    EXPECT_EQ(queued->front().kind, "notification");

    int64_t call_id = call->notification.id;
    ASSERT_TRUE(notify_->MarkAttemptFailed(call_id, "HTTP 500", now_ + 30s).ok());
    EXPECT_TRUE(notify_->DueDeliveries(now_ + 29s, 10)->empty());
    ASSERT_EQ(notify_->DueDeliveries(now_ + 30s, 10)->size(), 1u);
    ASSERT_TRUE(notify_->MarkAttemptFailed(call_id, std::string(2000, 'x'), std::nullopt).ok());
    EXPECT_TRUE(notify_->DueDeliveries(now_ + 1000h, 10)->empty());
    DeliveryFilter failed;
    failed.status = "failed";
    auto log = notify_->ListDeliveries(acme_, failed, Paging{});
    ASSERT_TRUE(log.ok());
    ASSERT_EQ(log->items.size(), 1u);
    EXPECT_EQ(log->items[0].attempts, 2);
    EXPECT_EQ(log->items[0].last_error->size(), 500u);
    EXPECT_TRUE(notify_->ListDeliveries(globex_, DeliveryFilter{}, Paging{})->items.empty());
    DeliveryFilter sent;
    sent.status = "sent";
    EXPECT_EQ(notify_->ListDeliveries(acme_, sent, Paging{})->items.at(0).channel, "email");
}

TEST_F(NotifyStoreTest, TheInboxIsTheUsersOwnNewestFirstWithUnreadCount) {
    AddRule(Rule("all", {"sos"}, {"web"}, {ann_, bob_}));
    AddEvent(acme_, v1_, "sos");
    AddEvent(acme_, v2_, "sos");
    Match(now_);
    Viewer ann{acme_, ann_};
    auto inbox = notify_->ListInbox(ann, false, Paging{});
    ASSERT_TRUE(inbox.ok());
    ASSERT_EQ(inbox->page.items.size(), 2u);
    EXPECT_EQ(inbox->unread, 2);
    EXPECT_GT(inbox->page.items[0].id, inbox->page.items[1].id);
    int64_t first = inbox->page.items[1].id;
    Notification read = Ok(notify_->MarkRead(ann, first, now_ + 1s));
    EXPECT_EQ(read.read_at, now_ + 1s);
    EXPECT_EQ(Ok(notify_->MarkRead(ann, first, now_ + 2s)).read_at, now_ + 1s);  // once
    EXPECT_EQ(notify_->ListInbox(ann, false, Paging{})->unread, 1);
    EXPECT_EQ(notify_->ListInbox(ann, true, Paging{})->page.total, 1);
    // Someone else's notification, or another tenant's, is not found.
    EXPECT_EQ(RefusalOf(notify_->MarkRead(Viewer{acme_, bob_}, first, now_)), Refusal::kNotFound);
    EXPECT_EQ(RefusalOf(notify_->MarkRead(Viewer{globex_, ann_}, first, now_)), Refusal::kNotFound);
    // Narrowed later to the north group, bob sees only what is about its vehicles now.
    Exec(fmt::format("INSERT INTO user_groups (user_id, group_id) VALUES ({}, {})", bob_, g1_));
    EXPECT_EQ(notify_->ListInbox(Viewer{acme_, bob_}, false, Paging{})->page.total, 1);
}

TEST_F(NotifyStoreTest, WebhooksAreChangedRotatedAndNotDeletedWhileRulesCallThem) {
    int64_t hook = AddWebhook("ops");
    EXPECT_EQ(RefusalOf(notify_->AddWebhook(acme_, Webhook{0, "ops", "https://x.example/", true, {}}, "s", cli_,
                                            now_)),
              Refusal::kConflict);
    WebhookChange change;
    change.enabled = false;
    change.url = "https://hooks.example/v2";
    Webhook w = Ok(notify_->UpdateWebhook(acme_, hook, change, cli_, now_));
    EXPECT_FALSE(w.enabled);
    EXPECT_EQ(w.url, "https://hooks.example/v2");
    Ok(notify_->RotateWebhookSecret(acme_, hook, "new-sealed", cli_, now_));
    EXPECT_EQ((*notify_->FindWebhookTarget(acme_, hook))->secret_sealed, "new-sealed");
    EXPECT_FALSE(notify_->FindWebhookTarget(globex_, hook)->has_value());
    EXPECT_EQ(RefusalOf(notify_->RotateWebhookSecret(globex_, hook, "x", cli_, now_)), Refusal::kNotFound);
    RuleChange r = Rule("r", {"sos"}, {"webhook"}, {});
    r.webhook_ids = std::vector<int64_t>{hook};
    int64_t rule = AddRule(r);
    EXPECT_EQ(RefusalOf(notify_->DeleteWebhook(acme_, hook, cli_, now_)), Refusal::kConflict);
    Ok(notify_->DeleteRule(acme_, rule, cli_, now_));
    Ok(notify_->DeleteWebhook(acme_, hook, cli_, now_));
    EXPECT_FALSE(notify_->FindWebhook(acme_, hook)->has_value());
    auto audit = accounts_->ListAudit(acme_, 100);
    std::set<std::string> actions;
    for (const auto& e : *audit) actions.insert(e.action);
    for (const char* a : {"webhook.add", "webhook.update", "webhook.rotate_secret", "webhook.delete"}) {
        EXPECT_TRUE(actions.count(a)) << a;
    }
    for (const auto& e : *audit) EXPECT_EQ(e.detail_json.find("sealed"), std::string::npos) << e.detail_json;
}

}  // namespace
}  // namespace fleet::store
