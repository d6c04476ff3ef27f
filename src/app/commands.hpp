// The `fleetd` subcommands. Each registers its options on a CLI11 subcommand and runs after parsing;
// the returned int is the process exit status.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace fleet::app {

using Runner = std::function<int()>;

Runner AddServe(CLI::App& app);
Runner AddDecode(CLI::App& app);
Runner AddAdmin(CLI::App& app);
Runner AddSimulate(CLI::App& app);

// The shipped list of common passwords (data/common-passwords.txt): beside the binary's folder (a
// build tree or an install prefix's share/fleetd), or in the working folder's data/. "" if none.
std::string DefaultCommonPasswords();

}  // namespace fleet::app
