// fleetd: one binary, several subcommands (serve, decode, simulate, admin).
#include <CLI/CLI.hpp>
#include <iostream>

#include "app/commands.hpp"

int main(int argc, char** argv) {
    CLI::App app{"fleetd: vehicle telematics and fleet management server"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "fleetd 0.1.0");
    std::vector<fleet::app::Runner> runners = {fleet::app::AddServe(app), fleet::app::AddDecode(app),
                                               fleet::app::AddSimulate(app), fleet::app::AddAdmin(app)};
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        for (auto& run : runners) {
            int status = run();
            if (status >= 0) return status;
        }
    } catch (const std::exception& e) {
        std::cerr << "fleetd: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
