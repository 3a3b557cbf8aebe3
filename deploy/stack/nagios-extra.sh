# deploy/stack/nagios-extra.sh: what the generated Nagios configuration needs besides Nagios
# itself, sourced by deploy/local-stack (uses its helpers: line, APT_PACKAGES).
#
# Debian's NRPE server and check_nrpe for the generated nrpe.d files, and monitoring-plugins
# (check_procs, check_tcp, check_http, check_dummy, check_mysql) for the generated commands.
# Nothing runs as part of the stack: tests start a private NRPE on a free port with their own
# configuration, so the machine's /etc/nagios is never read or changed.

NRPE_BIN=/usr/sbin/nrpe
CHECK_NRPE=/usr/lib/nagios/plugins/check_nrpe

APT_PACKAGES+=(nagios-nrpe-server nagios-nrpe-plugin monitoring-plugins-basic
  monitoring-plugins-standard)

nagios_extra_env() {
  cat <<EOF2
NRPE_BIN=$NRPE_BIN
CHECK_NRPE=$CHECK_NRPE
EOF2
}

nagios_extra_status_lines() {
  line nrpe "test -x $NRPE_BIN -a -x $CHECK_NRPE" "$NRPE_BIN, $CHECK_NRPE (private instances per test)"
}
