// The outbox's insert, for the account-store files that queue a mail inside a transaction of theirs
// (password resets). Internal to src/store.
#pragma once

#include "store/detail/accounts_impl.hpp"

namespace fleet::store::detail {

// Inserts `mail` into the outbox on `impl`'s connection (no transaction of its own). Returns its
// id.
Result<int64_t> InsertMail(AccountStore::Impl& impl, const OutgoingMail& mail);

}  // namespace fleet::store::detail
