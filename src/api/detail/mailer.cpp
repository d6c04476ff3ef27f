#include "api/detail/mailer.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sodium.h>
#include <sys/stat.h>

#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

constexpr auto kKeepSentMail = std::chrono::hours(24 * 7);

std::string HeaderValue(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c != '\r' && c != '\n') out += c;
    }
    return out;
}

std::string RfcDate(core::TimePoint t) {
    std::time_t secs =
        std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    std::tm tm{};
    gmtime_r(&secs, &tm);
    static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} +0000", kDays[tm.tm_wday], tm.tm_mday,
                       kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

class FileTransport : public Transport {
public:
    FileTransport(std::string dir, std::string from)
        : dir_(std::move(dir)), from_(std::move(from)) {}

    Result<void> Send(const store::OutgoingMail& mail) override {
        std::error_code ec;
        fs::create_directories(dir_, ec);
        if (ec) return MakeError(fmt::format("cannot create {}: {}", dir_, ec.message()));
        ::chmod(dir_.c_str(), 0700);
        fs::path final_path = fs::path(dir_) / fmt::format("{}.eml", mail.id);
        fs::path tmp = fs::path(dir_) / fmt::format(".{}.eml.tmp", mail.id);
        {
            std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
            if (!out) return MakeError("cannot write " + tmp.string());
            ::chmod(tmp.c_str(), 0600);
            out << FormatMessage(mail, from_);
            out.close();
            if (!out) return MakeError("cannot write " + tmp.string());
        }
        fs::rename(tmp, final_path, ec);  // readers never see half a mail
        if (ec)
            return MakeError(fmt::format("cannot write {}: {}", final_path.string(), ec.message()));
        return {};
    }

private:
    std::string dir_;
    std::string from_;
};

// One SMTP dialogue on a private io_context, every step within the mail's deadline.
class SmtpSession {
public:
    explicit SmtpSession(std::chrono::seconds deadline)
        : deadline_(std::chrono::steady_clock::now() + deadline), buf_(64 * 1024) {}

    Result<void> Connect(const std::string& host, int port) {
        tcp::resolver resolver(io_);
        boost::system::error_code ec;
        bool done = false;
        tcp::resolver::results_type endpoints;
        resolver.async_resolve(host, std::to_string(port),
                               [&](boost::system::error_code e, tcp::resolver::results_type r) {
                                   ec = e;
                                   endpoints = std::move(r);
                                   done = true;
                               });
        if (!Wait(done, ec, &resolver) || ec)
            return MakeError(fmt::format("resolve {}: {}", host, ec.message()));
        done = false;
        asio::async_connect(sock_, endpoints,
                            [&](boost::system::error_code e, const tcp::endpoint&) {
                                ec = e;
                                done = true;
                            });
        if (!Wait(done, ec) || ec)
            return MakeError(fmt::format("connect {}:{}: {}", host, port, ec.message()));
        return {};
    }

    // Sends `line` (unless empty) and reads the reply; error unless its code is `expected`
    // (first digit only when expected < 10).
    Result<void> Step(std::string_view line, int expected) {
        if (!line.empty()) {
            if (auto r = Write(line); !r) return r;
        }
        std::string reply;
        int code = 0;
        for (;;) {  // a multi-line reply is "250-..." lines ending with "250 ..."
            boost::system::error_code ec;
            bool done = false;
            size_t n = 0;
            asio::async_read_until(sock_, buf_, "\r\n",
                                   [&](boost::system::error_code e, size_t got) {
                                       ec = e;
                                       n = got;
                                       done = true;
                                   });
            if (!Wait(done, ec) || ec) return MakeError("SMTP read: " + ec.message());
            std::string got(asio::buffers_begin(buf_.data()), asio::buffers_begin(buf_.data()) + n);
            buf_.consume(n);
            if (got.size() < 5 || !std::isdigit(static_cast<unsigned char>(got[0]))) {
                return MakeError("SMTP: malformed reply");
            }
            code = std::atoi(got.substr(0, 3).c_str());
            reply = got.substr(0, got.size() - 2);
            if (got[3] != '-') break;
        }
        bool ok = expected < 10 ? code / 100 == expected : code == expected;
        if (!ok) return MakeError(fmt::format("SMTP: {}", reply.substr(0, 200)));
        return {};
    }

    Result<void> Write(std::string_view data) {
        boost::system::error_code ec;
        bool done = false;
        asio::async_write(sock_, asio::buffer(data), [&](boost::system::error_code e, size_t) {
            ec = e;
            done = true;
        });
        if (!Wait(done, ec) || ec) return MakeError("SMTP write: " + ec.message());
        return {};
    }

private:
    // Runs the io_context until the operation completes or the deadline passes (then cancels it).
    bool Wait(bool& done, boost::system::error_code& ec, tcp::resolver* resolver = nullptr) {
        io_.restart();
        auto left = deadline_ - std::chrono::steady_clock::now();
        if (left > std::chrono::steady_clock::duration::zero()) io_.run_for(left);
        if (done) return true;
        if (resolver) resolver->cancel();
        boost::system::error_code ignored;
        sock_.close(ignored);
        io_.restart();
        io_.run();  // lets the cancelled handler run
        ec = asio::error::timed_out;
        return false;
    }

    asio::io_context io_;
    tcp::socket sock_{io_};
    std::chrono::steady_clock::time_point deadline_;
    asio::streambuf buf_;
};

class SmtpTransport : public Transport {
public:
    SmtpTransport(std::string host, int port, std::string from, std::chrono::seconds deadline)
        : host_(std::move(host)), port_(port), from_(std::move(from)), deadline_(deadline) {}

    Result<void> Send(const store::OutgoingMail& mail) override {
        auto bad = [](const std::string& a) {
            return a.find_first_of("\r\n<> ") != std::string::npos || a.empty();
        };
        if (bad(mail.recipient) || bad(from_))
            return MakeError("SMTP: refusing an address with <, >, space or CR/LF");
        SmtpSession s(deadline_);
        if (auto r = s.Connect(host_, port_); !r) return r;
        if (auto r = s.Step("", 220); !r) return r;
        if (auto r = s.Step("EHLO fleetd\r\n", 250); !r) return r;
        if (auto r = s.Step("MAIL FROM:<" + from_ + ">\r\n", 250); !r) return r;
        if (auto r = s.Step("RCPT TO:<" + mail.recipient + ">\r\n", 2); !r) return r;
        if (auto r = s.Step("DATA\r\n", 354); !r) return r;
        // Dot-stuffing (RFC 5321 4.5.2): a line starting with '.' gets another.
        std::string message = FormatMessage(mail, from_);
        std::string data;
        size_t start = 0;
        while (start < message.size()) {
            size_t end = message.find("\r\n", start);
            end = end == std::string::npos ? message.size() : end + 2;
            if (message[start] == '.') data += '.';
            data.append(message, start, end - start);
            start = end;
        }
        data += ".\r\n";
        if (auto r = s.Step(data, 250); !r) return r;
        (void)s.Step("QUIT\r\n", 221);  // the mail is accepted whatever the goodbye says
        return {};
    }

private:
    std::string host_;
    int port_;
    std::string from_;
    std::chrono::seconds deadline_;
};

}  // namespace

std::unique_ptr<Transport> MakeFileTransport(const std::string& dir, const std::string& from) {
    return std::make_unique<FileTransport>(dir, from);
}

std::unique_ptr<Transport> MakeSmtpTransport(const std::string& host, int port,
                                             const std::string& from,
                                             std::chrono::seconds deadline) {
    return std::make_unique<SmtpTransport>(host, port, from, deadline);
}

std::string FormatMessage(const store::OutgoingMail& mail, const std::string& from) {
    bool multipart = mail.kind == kMultipartMailKind;  // the body brings its own headers
    std::string out = fmt::format(
        "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: "
        "<{}.{}@fleetd>\r\nMIME-Version: 1.0\r\n{}Auto-Submitted: auto-generated\r\n{}",
        HeaderValue(from), HeaderValue(mail.recipient), HeaderValue(mail.subject),
        RfcDate(mail.created_at), mail.id, mail.created_at.time_since_epoch().count(),
        multipart ? "" : "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n",
        multipart ? "" : "\r\n");
    for (size_t i = 0; i < mail.body.size(); ++i) {
        char c = mail.body[i];
        if (c == '\r') continue;
        if (c == '\n') {
            out += "\r\n";
        } else {
            out += c;
        }
    }
    if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
    return out;
}

std::string MultipartBody(std::string_view text, const Attachment& file) {
    // Cannot occur in the parts: base64 has no '_', and the text part is fleetd's own words.
    constexpr std::string_view kBoundary = "=_fleetd_part_=";
    std::string name;
    for (char c : file.filename) name += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ? c : '_';
    std::string out = fmt::format("Content-Type: multipart/mixed; boundary=\"{0}\"\n\n--{0}\n"
                                  "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n",
                                  kBoundary);
    out += text;
    out += fmt::format("\n--{}\nContent-Type: {}; name=\"{}\"\nContent-Disposition: attachment; filename=\"{}\"\n"
                       "Content-Transfer-Encoding: base64\n\n",
                       kBoundary, HeaderValue(file.content_type), name, name);
    std::string b64(sodium_base64_encoded_len(file.data.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(b64.data(), b64.size(), reinterpret_cast<const unsigned char*>(file.data.data()),
                      file.data.size(), sodium_base64_VARIANT_ORIGINAL);
    b64.resize(std::strlen(b64.c_str()));
    for (size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\n";  // RFC 2045 6.8: lines of 76
    out += fmt::format("--{}--\n", kBoundary);
    return out;
}

int DeliverDue(store::AccountStore& store, Transport& transport, core::TimePoint now,
               int64_t limit) {
    auto due = store.ListUnsentMail(now, limit);
    if (!due) {
        spdlog::error("mail: {}", due.error().message);
        return 0;
    }
    int sent = 0;
    for (const auto& mail : *due) {
        auto r = transport.Send(mail);
        if (r) {
            if (auto m = store.MarkMailSent(mail.id, now); !m)
                spdlog::error("mail {}: {}", mail.id, m.error().message);
            ++sent;
        } else {
            spdlog::warn("mail {} ({}) not delivered (attempt {}): {}", mail.id, mail.kind,
                         mail.attempts + 1, r.error().message);
            if (auto m = store.MarkMailFailed(mail.id, r.error().message); !m) {
                spdlog::error("mail {}: {}", mail.id, m.error().message);
            }
        }
    }
    return sent;
}

Result<std::unique_ptr<Mailer>> Mailer::Start(const std::string& db_path,
                                              const MailOptions& options,
                                              std::function<core::TimePoint()> clock) {
    auto store = store::AccountStore::Open(db_path);
    if (!store) return store.error();
    std::unique_ptr<Mailer> m(new Mailer());
    m->options_ = options;
    m->clock_ = std::move(clock);
    m->store_ = std::move(*store);
    if (!options.smtp_host.empty()) {
        m->transport_ = MakeSmtpTransport(options.smtp_host, options.smtp_port, options.from);
    } else {
        m->transport_ = MakeFileTransport(options.outbox_dir, options.from);
    }
    m->thread_ = std::thread([p = m.get()] { p->Work(); });
    return m;
}

Mailer::~Mailer() { Stop(); }

void Mailer::Notify() {
    {
        std::lock_guard lock(mu_);
        notified_ = true;
    }
    cv_.notify_one();
}

void Mailer::Stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void Mailer::Work() {
    core::TimePoint last_prune{};
    for (;;) {
        core::TimePoint now = clock_();
        DeliverDue(*store_, *transport_, now);
        if (now - last_prune >= std::chrono::hours(1)) {
            if (auto r = store_->PruneSentMail(now - kKeepSentMail); !r)
                spdlog::error("mail: {}", r.error().message);
            last_prune = now;
        }
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, options_.poll, [&] { return stop_ || notified_; });
        if (stop_) return;
        notified_ = false;
    }
}

}  // namespace fleet::api::detail
