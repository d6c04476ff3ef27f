// Mailer: drains the e-mail outbox (store::AccountStore's outbox table) on a thread of its own,
// with a database connection of its own. Two transports: the development mailer writes each mail
// as <outbox_dir>/<id>.eml (mode 0600: a reset mail holds a token) when no SMTP host is set; with
// [mail] smtp_host set, plain SMTP to that relay (no TLS or login: a local MTA such as Postfix
// relays onwards). A delivery is bounded (30 s for the whole SMTP dialogue); failures are retried
// with the store's back-off and given up after kMaxMailAttempts. Sent mail is deleted after 7 days.
// Thread-safety: Notify from any thread; Stop from the owner.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "api/api.hpp"
#include "store/accounts.hpp"

namespace fleet::api::detail {

// One way to deliver a mail. Send is called from the mailer's thread only.
class Transport {
public:
    virtual ~Transport() = default;
    virtual Result<void> Send(const store::OutgoingMail& mail) = 0;
};

// Writes <dir>/<id>.eml (the folder is created mode 0700).
std::unique_ptr<Transport> MakeFileTransport(const std::string& dir, const std::string& from);
// SMTP (RFC 5321) without TLS or authentication to host:port, within `deadline` per mail.
std::unique_ptr<Transport> MakeSmtpTransport(
    const std::string& host, int port, const std::string& from,
    std::chrono::seconds deadline = std::chrono::seconds(30));

// The mail as an RFC 5322 message (CRLF line ends; header values stripped of CR and LF).
std::string FormatMessage(const store::OutgoingMail& mail, const std::string& from);

// A mail of this kind has a MIME entity as its body (its own Content-Type header, a blank line,
// its parts), made by MultipartBody: the outbox keeps text only, so an attachment travels inside
// the body, and FormatMessage writes that entity in place of the plain-text headers.
inline constexpr std::string_view kMultipartMailKind = "report";

struct Attachment {
    std::string filename;      // [A-Za-z0-9._-] only (others become '_')
    std::string content_type;  // "text/csv", ...
    std::string data;
};

// A multipart/mixed entity (RFC 2046): `text` as a UTF-8 plain-text part, then `file` in base64.
std::string MultipartBody(std::string_view text, const Attachment& file);

// Delivers the mail due at `now` (at most `limit`), marking each sent or failed. Returns how many
// were sent.
int DeliverDue(store::AccountStore& store, Transport& transport, core::TimePoint now,
               int64_t limit = 50);

class Mailer {
public:
    // Opens a connection to the database and starts the thread.
    static Result<std::unique_ptr<Mailer>> Start(const std::string& db_path,
                                                 const MailOptions& options,
                                                 std::function<core::TimePoint()> clock);
    ~Mailer();
    Mailer(const Mailer&) = delete;
    Mailer& operator=(const Mailer&) = delete;

    // Looks at the outbox now rather than at the next poll.
    void Notify();
    // Finishes the delivery under way and joins the thread. Idempotent.
    void Stop();

private:
    Mailer() = default;
    void Work();

    MailOptions options_;
    std::function<core::TimePoint()> clock_;
    std::unique_ptr<store::AccountStore> store_;
    std::unique_ptr<Transport> transport_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    bool notified_ = false;
    std::thread thread_;
};

}  // namespace fleet::api::detail
