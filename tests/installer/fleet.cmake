# Must-show 3 of issue 16: two relays with the S3 store on one bucket (a real one-node Ceph, CephCluster.h)
# and one Redis behind Debian's nginx with the shipped fleet recipe (installer/fleet/onetimeshare-fleet.conf):
# appends alternating between the relays, 1 GiB through nginx with the serving relay killed mid-download,
# an empty bucket afterwards, and installer/fleet/compose.yaml's settings through --check-config.
# Included by tests/installer/CMakeLists.txt. Labels installer and s3 (it needs Ceph's packages):
# about 1-2 min on 2 busy cores, most of it the 1 GiB upload and download.
if(TARGET ots-relay AND TARGET ots)
    ots_add_test(tst_fleet_e2e ${CMAKE_CURRENT_LIST_DIR}/fleet_e2e.cpp ${CMAKE_CURRENT_LIST_DIR}/NginxProcess.h)
    target_link_libraries(tst_fleet_e2e PRIVATE Qt6::Network)
    target_compile_definitions(tst_fleet_e2e PRIVATE
        OTS_RELAY_BINARY="$<TARGET_FILE:ots-relay>"
        OTS_CLI_BINARY="$<TARGET_FILE:ots>"
        OTS_NGINX_RECIPE="${PROJECT_SOURCE_DIR}/installer/nginx/onetimeshare-relay.conf"
        OTS_FLEET_DIR="${PROJECT_SOURCE_DIR}/installer/fleet")
    add_dependencies(tst_fleet_e2e ots-relay ots)
    set_tests_properties(tst_fleet_e2e PROPERTIES TIMEOUT 300 PROCESSORS 2 LABELS "installer;s3")
endif()
