#pragma once

// The command-line walk every benchmark shares: flags, each followed by its value.

#include <stdexcept>
#include <string>

namespace ots::bench {

/// Calls own(flag, value) for each flag on the command line; value() takes the argument after the
/// flag (an error when there is none). own returns false for a flag it does not know: an error that
/// points at the comment at the top of PROGRAM.cpp, which lists the flags.
template <class Own>
void forEachArgument(int argc, char** argv, const std::string& program, Own own) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw std::runtime_error(arg + " needs a value");
            return argv[++i];
        };
        if (!own(arg, value))
            throw std::runtime_error("unknown argument " + arg + " (see the comment at the top of " +
                                     program + ".cpp)");
    }
}

} // namespace ots::bench
