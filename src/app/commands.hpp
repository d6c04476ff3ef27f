// The `fleetd` subcommands. Each registers its options on a CLI11 subcommand and runs after parsing;
// the returned int is the process exit status.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace fleet::app {

using Runner = std::function<int()>;

Runner AddServe(CLI::App& app);
Runner AddDecode(CLI::App& app);
Runner AddAdmin(CLI::App& app);
Runner AddSimulate(CLI::App& app);

}  // namespace fleet::app
