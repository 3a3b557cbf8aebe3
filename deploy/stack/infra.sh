# deploy/stack/infra.sh: the local stack's private infrastructure instances for the
# infrastructure probes, sourced by deploy/local-stack (uses its helpers: log, die, serve,
# alive, own_pid, http_up, tcp_up, PATTERN, RUN, LOGS, STACK_DIR, TEMPLATES).
#
# A single-node Galera cluster (Debian's galera-4 under a private mariadbd: own datadir,
# socket and ports, never the machine's MariaDB on 3306), memcached, and HAProxy with a stats
# page and one backend whose servers are one up, one down. All on dedicated loopback ports.

GALERA_DIR=$STACK_DIR/galera
GALERA_PORT=13306
GALERA_GCOMM_PORT=14567
GALERA_IST_PORT=14568
GALERA_SST_PORT=14444
GALERA_USER=osmon
GALERA_PASSWORD_FILE=$GALERA_DIR/osmon-password
GALERA_OPTION_FILE=$GALERA_DIR/osmon-client.cnf
MEMCACHED_PORT=21211
MEMCACHED_MB=8
HAPROXY_DIR=$STACK_DIR/haproxy
HAPROXY_STATS_PORT=21936
HAPROXY_FRONT_PORT=21980
HAPROXY_OK_PORT=21981
HAPROXY_DOWN_PORT=21982

APT_PACKAGES+=(galera-4 memcached haproxy socat)
PATTERN+=(
  [galera]="--defaults-file=$GALERA_DIR/my.cnf" [memcached]="-p $MEMCACHED_PORT"
  [haproxy]="-f $HAPROXY_DIR/haproxy.cfg"
)
INFRA_SERVICES=(haproxy memcached galera)

infra_render() { # TEMPLATE DEST
  local tmp
  tmp=$(mktemp "$2.XXXXXX")
  sed -e "s|@GALERA_DIR@|$GALERA_DIR|g" -e "s|@GALERA_PORT@|$GALERA_PORT|g" \
    -e "s|@GALERA_GCOMM_PORT@|$GALERA_GCOMM_PORT|g" -e "s|@GALERA_IST_PORT@|$GALERA_IST_PORT|g" \
    -e "s|@GALERA_SST_PORT@|$GALERA_SST_PORT|g" -e "s|@HAPROXY_DIR@|$HAPROXY_DIR|g" \
    -e "s|@HAPROXY_STATS_PORT@|$HAPROXY_STATS_PORT|g" \
    -e "s|@HAPROXY_FRONT_PORT@|$HAPROXY_FRONT_PORT|g" \
    -e "s|@HAPROXY_OK_PORT@|$HAPROXY_OK_PORT|g" -e "s|@HAPROXY_DOWN_PORT@|$HAPROXY_DOWN_PORT|g" \
    "$TEMPLATES/infra/$1" >"$tmp"
  chmod 644 "$tmp"
  if cmp -s "$tmp" "$2"; then rm -f "$tmp"; else mv -f "$tmp" "$2"; fi
}

# SQL on stdin, as root over the private socket (unix_socket authentication).
galera_sql() {
  timeout 10 mariadb --no-defaults -S "$GALERA_DIR/mysqld.sock" -uroot -N -B 2>/dev/null
}
galera_up() {
  [[ $(galera_sql <<<"SHOW GLOBAL STATUS LIKE 'wsrep_local_state_comment'" | cut -f2) == Synced ]]
}
memcached_up() {
  [[ $(printf 'version\r\n' | timeout 3 socat -t1 - "TCP:127.0.0.1:$MEMCACHED_PORT" 2>/dev/null) == VERSION* ]]
}
haproxy_up() { http_up "http://127.0.0.1:$HAPROXY_STATS_PORT/;csv"; }

# Stops our own process NAME (by its pid file) and waits up to 30 s.
infra_stop() {
  local pid deadline=$((SECONDS + 30))
  pid=$(own_pid "$1") || return 0
  log "stopping $1 (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  while [[ -r /proc/$pid/stat && $(awk '{print $3}' "/proc/$pid/stat") != Z ]]; do
    ((SECONDS < deadline)) || die "$1 (pid $pid) did not stop in 30s"
    sleep 0.2
  done
}

ensure_galera() {
  mkdir -p "$GALERA_DIR"
  chown mysql:mysql "$GALERA_DIR"
  infra_render galera.cnf.in "$GALERA_DIR/my.cnf"
  if ! galera_up; then
    if [[ ! -d $GALERA_DIR/data/mysql ]]; then
      log "galera: mariadb-install-db into $GALERA_DIR/data"
      rm -rf "$GALERA_DIR/data"
      timeout 120 mariadb-install-db --no-defaults --user=mysql --datadir="$GALERA_DIR/data" \
        --skip-test-db --auth-root-authentication-method=socket >>"$LOGS/galera-install.log" 2>&1 ||
        die "mariadb-install-db failed (log: $LOGS/galera-install.log)"
    fi
    # A lone node is always the last to leave its cluster: it may bootstrap after a crash too.
    if [[ -f $GALERA_DIR/data/grastate.dat ]] && ! alive galera; then
      sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$GALERA_DIR/data/grastate.dat"
    fi
    serve galera galera_up /usr/sbin/mariadbd --defaults-file="$GALERA_DIR/my.cnf" \
      --wsrep-new-cluster
  fi
  # The probe's login: USAGE only (SHOW GLOBAL STATUS needs no privilege); the password lives in
  # a root-only file and an option file, never on a command line.
  if [[ ! -s $GALERA_PASSWORD_FILE ]]; then
    (umask 077 && head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$GALERA_PASSWORD_FILE")
  fi
  local pw
  pw=$(cat "$GALERA_PASSWORD_FILE")
  galera_sql <<SQL || die "galera: creating user $GALERA_USER failed"
CREATE USER IF NOT EXISTS '$GALERA_USER'@'127.0.0.1' IDENTIFIED BY '$pw';
ALTER USER '$GALERA_USER'@'127.0.0.1' IDENTIFIED BY '$pw';
GRANT USAGE ON *.* TO '$GALERA_USER'@'127.0.0.1';
SQL
  (umask 077 && printf '[client]\nuser=%s\npassword=%s\n' "$GALERA_USER" "$pw" \
    >"$GALERA_OPTION_FILE.tmp" && mv -f "$GALERA_OPTION_FILE.tmp" "$GALERA_OPTION_FILE")
}

ensure_memcached() {
  memcached_up && return 0
  serve memcached memcached_up /usr/bin/memcached -u memcache -l 127.0.0.1 -p "$MEMCACHED_PORT" \
    -U 0 -m "$MEMCACHED_MB" -c 256
}

ensure_haproxy() {
  local cfg=$HAPROXY_DIR/haproxy.cfg
  mkdir -p "$HAPROXY_DIR"
  infra_render haproxy.cfg.in "$cfg"
  haproxy -c -q -f "$cfg" >>"$LOGS/haproxy.log" 2>&1 || die "haproxy -c failed for $cfg"
  # A running HAProxy that loaded an older configuration is restarted (it holds no state).
  if alive haproxy && ! cmp -s "$cfg" "$HAPROXY_DIR/haproxy.cfg.loaded"; then
    infra_stop haproxy
  fi
  if ! haproxy_up || ! alive haproxy; then
    cp -f "$cfg" "$HAPROXY_DIR/haproxy.cfg.loaded"
    serve haproxy haproxy_up /usr/sbin/haproxy -db -f "$cfg"
  fi
}

ensure_infra() {
  ensure_galera
  ensure_memcached
  ensure_haproxy
}

infra_env() {
  cat <<EOF
GALERA_ADDR=127.0.0.1:$GALERA_PORT
GALERA_SOCKET=$GALERA_DIR/mysqld.sock
GALERA_DEFAULTS_FILE=$GALERA_DIR/my.cnf
GALERA_USER=$GALERA_USER
GALERA_PASSWORD_FILE=$GALERA_PASSWORD_FILE
GALERA_OPTION_FILE=$GALERA_OPTION_FILE
MEMCACHED_ADDR=127.0.0.1:$MEMCACHED_PORT
HAPROXY_STATS_URL=http://127.0.0.1:$HAPROXY_STATS_PORT/;csv
HAPROXY_SOCKET=$HAPROXY_DIR/admin.sock
HAPROXY_FRONTEND_URL=http://127.0.0.1:$HAPROXY_FRONT_PORT/
EOF
}

infra_status_lines() {
  line galera galera_up \
    "mysql://127.0.0.1:$GALERA_PORT (single-node Galera; user $GALERA_USER, password file $GALERA_PASSWORD_FILE)"
  line memcached memcached_up "127.0.0.1:$MEMCACHED_PORT (${MEMCACHED_MB} MB)"
  line haproxy haproxy_up \
    "http://127.0.0.1:$HAPROXY_STATS_PORT/;csv (socket $HAPROXY_DIR/admin.sock; be_stack: up + down)"
}
