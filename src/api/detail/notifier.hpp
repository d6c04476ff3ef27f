// Notifier: turns new events into notifications and delivers them, on a thread of its own with a
// database connection of its own (like the Mailer).
//
// Each round (every NotifyOptions::poll, or at once after Notify): the matcher
// (store::NotifyStore::MatchEvents) follows events.id from its cursor in bounded batches, then the
// due notifications are delivered:
//   web      pushed to the user's open live feeds (LiveHub::PushToUser) and marked sent — the inbox
//            (GET /api/v1/notifications) has it whether or not a feed was open;
//   email    queued in the outbox (kind "notification") and marked sent: the Mailer delivers and
//            retries from there;
//   webhook  POSTed, signed (webhook.hpp), all calls of a round at once, each within 10 s; a 2xx is
//            sent, anything else is retried with back-off (RetryAt) and given up as failed after
//            kMaxWebhookAttempts.
// Quiet notifications (quiet hours) are never delivered: web ones are in the inbox without a push.
// Thread-safety: Notify from any thread; Stop from the owner.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "api/api.hpp"
#include "api/detail/live.hpp"
#include "api/detail/mailer.hpp"
#include "store/notify.hpp"

namespace fleet::api::detail {

inline constexpr int64_t kMaxWebhookAttempts = 6;  // the first call and five retries
inline constexpr int64_t kMatchBatch = 500;         // events per matcher transaction
inline constexpr int64_t kDeliveryBatch = 100;      // notifications delivered per round

// When to try again after `attempts` failed calls (1 to 5: 1, 4, 20, 120, 720 x retry_base), or
// nullopt once kMaxWebhookAttempts calls have failed.
std::optional<core::TimePoint> RetryAt(int64_t attempts, core::TimePoint now, std::chrono::seconds retry_base);

// The event as webhooks receive it: {"id","type","time","vehicle":{"id","name","plate"}|null,
// "driver":{"id","name"}|null,"lat","lon","detail":{...}}.
std::string EventJson(const store::NotifiedEvent& e);
// A notification as the inbox, the delivery log and the live feed show it (with its event).
std::string NotificationJson(const store::Notification& n);
// The e-mail of a notification: the vehicle, the event, its time in the tenant's zone (`zone`,
// IANA; UTC when unknown) and where, in plain text.
store::OutgoingMail NotificationMail(const store::Notification& n, const std::string& email,
                                     const std::string& zone, core::TimePoint now);

class Notifier {
public:
    // Opens a connection to the database and starts the thread. `box`, `live` and `mailer` (may be
    // null) must outlive the notifier.
    static Result<std::unique_ptr<Notifier>> Start(const std::string& db_path, const NotifyOptions& options,
                                                   const auth::SecretBox& box, LiveHub& live, Mailer* mailer,
                                                   std::function<core::TimePoint()> clock);
    ~Notifier();
    Notifier(const Notifier&) = delete;
    Notifier& operator=(const Notifier&) = delete;

    // Looks for events now rather than at the next poll.
    void Notify();
    // Finishes the round under way and joins the thread. Idempotent.
    void Stop();

private:
    Notifier(const auth::SecretBox& box, LiveHub& live) : box_(box), live_(live) {}
    void Work();
    void Round(core::TimePoint now);

    NotifyOptions options_;
    const auth::SecretBox& box_;
    LiveHub& live_;
    Mailer* mailer_ = nullptr;
    std::function<core::TimePoint()> clock_;
    std::unique_ptr<store::AccountStore> accounts_;
    std::unique_ptr<store::NotifyStore> store_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    bool notified_ = false;
    std::thread thread_;
};

}  // namespace fleet::api::detail
