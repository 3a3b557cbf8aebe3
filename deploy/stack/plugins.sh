# deploy/stack/plugins.sh: what the Nagios plugins' benchmark compares against, sourced by
# deploy/local-stack (uses its helpers: line, APT_PACKAGES).
#
# Debian's C check_http (monitoring-plugins-basic): bench/plugins times osmon's plugins against
# it in the same run. Nothing to start: `status` only says whether it is installed.

PLUGINS_C_CHECK_HTTP=/usr/lib/nagios/plugins/check_http

APT_PACKAGES+=(monitoring-plugins-basic)

check_http_installed() { [[ -x $PLUGINS_C_CHECK_HTTP ]]; }

plugins_status_lines() {
  line check_http check_http_installed "$PLUGINS_C_CHECK_HTTP (monitoring-plugins-basic, for bench/plugins)"
}
