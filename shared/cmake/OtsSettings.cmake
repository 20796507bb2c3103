# ots_settings: the one INTERFACE target that carries the language standard, warnings and
# strictness flags. Every target of the project links it; nothing sets flags anywhere else.
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
    set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

add_library(ots_settings INTERFACE)
add_library(ots::settings ALIAS ots_settings)
target_compile_features(ots_settings INTERFACE cxx_std_20)
set(CMAKE_CXX_EXTENSIONS OFF)

target_compile_options(ots_settings INTERFACE
    -Wall -Wextra -Wpedantic -Werror
    -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
    -Wformat=2 -Wundef
    # No -Wuseless-cast: size_t and uint64_t are the same type here but not on 32-bit targets.
    $<$<CXX_COMPILER_ID:GNU>:-Wduplicated-cond -Wlogical-op>
    $<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=2>
    -fstack-protector-strong)

# Qt strictness: no implicit conversions between char* and QString, no keywords as macros.
target_compile_definitions(ots_settings INTERFACE
    QT_NO_CAST_FROM_ASCII QT_NO_CAST_TO_ASCII QT_NO_CAST_FROM_BYTEARRAY
    QT_NO_URL_CAST_FROM_STRING QT_NO_NARROWING_CONVERSIONS_IN_CONNECT QT_NO_KEYWORDS
    QT_STRICT_ITERATORS QT_NO_FOREACH QT_DISABLE_DEPRECATED_BEFORE=0x060400)

# OTS_SANITIZE_RELAY_ONLY puts the sanitizer on the ots-relay binary alone (relay/CMakeLists.txt). For
# ThreadSanitizer: clang 14's runtime aborts in QProcess's clone() (tsan_rtl.cpp "!thr->slot" after
# fork), so the Qt test programs, which start redis-server and the relay, cannot carry it.
option(OTS_SANITIZE_RELAY_ONLY "Apply OTS_SANITIZE to the ots-relay binary only" OFF)
set(OTS_SANITIZE_FLAGS -fsanitize=${OTS_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
if(OTS_SANITIZE AND NOT OTS_SANITIZE_RELAY_ONLY)
    target_compile_options(ots_settings INTERFACE ${OTS_SANITIZE_FLAGS})
    target_link_options(ots_settings INTERFACE -fsanitize=${OTS_SANITIZE})
endif()

# With the fuzzers on, instrument every target for coverage; only the fuzz targets link libFuzzer.
if(OTS_BUILD_FUZZERS)
    target_compile_options(ots_settings INTERFACE -fsanitize=fuzzer-no-link)
endif()
