// Database: a few worker threads, each with an AccountStore connection of its own, where the API
// runs its blocking work (SQLite, argon2id) off the Asio I/O threads.
// Thread-safety: Post and Run may be called from any thread; Stop from the owner once.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "store/accounts.hpp"
#include "store/fleet.hpp"
#include "store/positions.hpp"

namespace fleet::api::detail {

// A worker's connections: the account store, and the stores that share its SQLite connection.
struct Conn {
    store::AccountStore& accounts;
    store::FleetStore& fleet;  // on `accounts`' connection
    store::PositionStore& positions;
};

class Database {
public:
    using Task = std::function<void(Conn&)>;

    // Opens `threads` connections to the (migrated) database at `path` and starts the workers.
    static Result<std::unique_ptr<Database>> Open(const std::string& path, int threads);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Queues `task` for the next free worker.
    void Post(Task task);
    // Finishes the queued tasks and joins the workers. Idempotent.
    void Stop();

private:
    Database() = default;
    void Work(Conn& conn);

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Task> queue_;
    bool stop_ = false;
    std::vector<std::unique_ptr<store::AccountStore>> stores_;
    std::vector<std::unique_ptr<store::FleetStore>> fleets_;  // one per store, on its connection
    std::vector<std::thread> threads_;
};

// Runs `fn` on a database worker and resumes the caller on its own executor afterwards. `fn` is
// lent (a named local of the caller), never copied into a co_await temporary (g++ 12, see
// gateway/detail/context.hpp). An exception from `fn` is logged and swallowed.
boost::asio::awaitable<void> Run(Database& db, Database::Task& fn);

}  // namespace fleet::api::detail
