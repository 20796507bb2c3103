# Must-show 4 of issue 6: the relay behind Debian's nginx with the shipped recipe
# (installer/nginx/onetimeshare-relay.conf). Starts its own redis-server, this build's ots-relay and
# nginx on free loopback ports; sends and receives 1 GiB with this build's `ots`. Included by
# tests/installer/CMakeLists.txt. Release suite only (label installer): 15-60 s on 2 busy cores.
# Also checks that every OTS_RELAY_* setting in installer/docker passes `ots-relay --check-config`.
if(TARGET ots-relay AND TARGET ots)
    ots_add_test(tst_nginx_e2e ${CMAKE_CURRENT_LIST_DIR}/nginx_e2e.cpp ${CMAKE_CURRENT_LIST_DIR}/NginxProcess.h)
    target_link_libraries(tst_nginx_e2e PRIVATE Qt6::Network)
    target_compile_definitions(tst_nginx_e2e PRIVATE
        OTS_RELAY_BINARY="$<TARGET_FILE:ots-relay>"
        OTS_CLI_BINARY="$<TARGET_FILE:ots>"
        OTS_NGINX_RECIPE="${PROJECT_SOURCE_DIR}/installer/nginx/onetimeshare-relay.conf"
        OTS_DOCKER_DIR="${PROJECT_SOURCE_DIR}/installer/docker")
    add_dependencies(tst_nginx_e2e ots-relay ots)
    set_tests_properties(tst_nginx_e2e PROPERTIES TIMEOUT 240 PROCESSORS 2 LABELS installer)
endif()
