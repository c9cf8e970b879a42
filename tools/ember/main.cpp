// ember: train, evaluate and benchmark models from the command line.
#include <unistd.h>

#include <iostream>

#include "ember/ember.h"
#include "options.h"

int main(int argc, char** argv) {
  ember::cli::CommandLine line;
  std::unique_ptr<CLI::App> app = ember::cli::make_app(line);
  try {
    app->parse(argc, argv);
    ember::cli::run(line);
  } catch (const CLI::ParseError& e) {
    return app->exit(e);
  } catch (const std::exception& e) {
    if (::isatty(STDERR_FILENO) == 1) std::cerr << "\r\033[K";  // off a progress bar's line
    std::cerr << "ember: error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
