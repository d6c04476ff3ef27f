#include "api/detail/database.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/thread.hpp"

namespace fleet::api::detail {

namespace asio = boost::asio;

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, int threads) {
    std::unique_ptr<Database> db(new Database());
    for (int i = 0; i < threads; ++i) {
        auto s = store::AccountStore::Open(path);
        if (!s) return s.error();
        db->stores_.push_back(std::move(*s));
    }
    for (auto& s : db->stores_) db->fleets_.push_back(std::make_unique<store::FleetStore>(*s));
    for (size_t i = 0; i < db->stores_.size(); ++i) {
        store::AccountStore* store = db->stores_[i].get();
        store::FleetStore* fleet = db->fleets_[i].get();
        Database* self = db.get();
        db->threads_.emplace_back([self, store, fleet] {
            core::NameThread("fleetd-api-db");
            store::PositionStore positions(*store);
            Conn conn{*store, *fleet, positions};
            self->Work(conn);
        });
    }
    return db;
}

Database::~Database() { Stop(); }

void Database::Post(Task task) {
    {
        std::lock_guard lock(mu_);
        queue_.push_back(std::move(task));
    }
    cv_.notify_one();
}

void Database::Stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) {
        if (t.joinable()) t.join();
    }
}

void Database::Work(Conn& conn) {
    for (;;) {
        Task task;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
            if (queue_.empty()) return;
            task = std::move(queue_.front());
            queue_.pop_front();
        }
        task(conn);
    }
}

namespace {

struct RunInitiation {
    Database* db;
    template <typename Handler>
    void operator()(Handler handler, Database::Task* fn) const {
        auto ex = asio::get_associated_executor(handler);
        auto state = std::make_shared<Handler>(std::move(handler));
        db->Post([state, ex, fn](Conn& s) {
            try {
                (*fn)(s);
            } catch (const std::exception& e) {
                spdlog::error("api: database task failed: {}", e.what());
            }
            asio::post(ex, [state]() mutable { std::move(*state)(); });
        });
    }
};

}  // namespace

asio::awaitable<void> Run(Database& db, Database::Task& fn) {
    RunInitiation init{&db};
    Database::Task* f = &fn;
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(init, asio::use_awaitable, f);
}

}  // namespace fleet::api::detail
