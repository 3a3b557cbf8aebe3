# deploy/stack/nova.sh: the local stack's real Nova, sourced by deploy/local-stack (uses its
# helpers: log, die, start_daemon, alive, own_pid, serve, http_up, PATTERN, RUN, LOGS).
#
# Nova 34 with the fake virt driver (fake.FakeDriverWithoutFakeNodes), Placement, Glance (file
# store) and a Neutron/Cinder stub (nova/openstack_stub.py), all in their own venv under
# $NOVA_DIR, on MariaDB (databases nova_api, nova_cell0, nova, placement, glance), RabbitMQ
# vhost $NOVA_VHOST (RPC and notifications: driver messagingv2, format both) and the stack's
# Keystone. report_interval=2 / service_down_time=10: a stopped nova-compute is "down" in seconds.

NOVA_SRC=$TEMPLATES/nova
NOVA_DIR=$STACK_DIR/nova
NOVA_VENV=$NOVA_DIR/venv
NOVA_HOST=osmon-nova
NOVA_VHOST=osmon_nova
NOVA_DBUSER=osmonnova
NOVA_DBPASS=osmonnova
NOVA_PORT=8774
PLACEMENT_PORT=8778
GLANCE_PORT=9292
STUB_NEUTRON_PORT=9696
STUB_CINDER_PORT=8776
NOVA_SERVICE_PASSWORD_FILE=$NOVA_DIR/service-password
NOVA_RPC=(nova-conductor nova-scheduler nova-compute)

PATTERN+=(
  [placement-api]=placement_wsgi [glance-api]=glance_wsgi [nova-api]=nova_api_wsgi
  [openstack-stub]=openstack_stub.py [nova-conductor]=bin/nova-conductor
  [nova-scheduler]=bin/nova-scheduler [nova-compute]=bin/nova-compute
)
NOVA_SERVICES=(nova-api nova-compute nova-scheduler nova-conductor glance-api placement-api
  openstack-stub)

placement_up() { http_up "http://127.0.0.1:$PLACEMENT_PORT/"; }
glance_up() { http_up "http://127.0.0.1:$GLANCE_PORT/"; }
nova_api_up() { http_up "http://127.0.0.1:$NOVA_PORT/"; }
openstack_stub_up() { http_up "http://127.0.0.1:$STUB_NEUTRON_PORT/" && tcp_up 127.0.0.1 "$STUB_CINDER_PORT"; }
nova_sql() { timeout 10 mysql -N -u"$NOVA_DBUSER" -p"$NOVA_DBPASS" -h127.0.0.1 nova -e "$1" 2>/dev/null; }

# An RPC service runs when it has sent a heartbeat (every 2 s) within the last 30 s, or, with a
# second argument (UTC 'YYYY-MM-DD HH:MM:SS'), since then: started and reporting.
nova_rpc_up() {
  local since="UTC_TIMESTAMP() - INTERVAL 30 SECOND"
  [[ -z ${2:-} ]] || since="'$2'"
  [[ $(nova_sql "SELECT COUNT(*) FROM services WHERE \`binary\`='$1' AND host='$NOVA_HOST'
    AND deleted=0 AND last_seen_up >= $since") == 1 ]]
}

nova_rpc_running() { alive "$1" && nova_rpc_up "$1"; }

nova_stamp() {
  { cat "$NOVA_SRC/constraints.txt"; "$PYTHON" -c 'import sys; print(sys.version)'; } |
    sha256sum | cut -d' ' -f1
}

nova_install() {
  local stamp
  stamp=$(nova_stamp)
  [[ -f $NOVA_VENV/.osmon-stamp && $(cat "$NOVA_VENV/.osmon-stamp") == "$stamp" ]] && return 0
  log "pip: installing nova, placement, glance into $NOVA_VENV"
  [[ -x $NOVA_VENV/bin/python ]] || "$PYTHON" -m venv "$NOVA_VENV"
  "$NOVA_VENV/bin/python" -m pip install -q -c "$NOVA_SRC/constraints.txt" nova==34.0.0 \
    openstack-placement==16.0.0 glance==33.0.0 PyMySQL gunicorn >>"$LOGS/nova-pip.log" 2>&1 || {
    tail -n 20 "$LOGS/nova-pip.log" >&2
    die "pip install of nova failed (log: $LOGS/nova-pip.log)"
  }
  echo "$stamp" >"$NOVA_VENV/.osmon-stamp"
  log "pip: nova done"
}

nova_render() { # TEMPLATE DEST
  local tmp
  tmp=$(mktemp "$2.XXXXXX")
  sed -e "s|@NOVA_DIR@|$NOVA_DIR|g" -e "s|@NOVA_HOST@|$NOVA_HOST|g" -e "s|@VHOST@|$NOVA_VHOST|g" \
    -e "s|@DBUSER@|$NOVA_DBUSER|g" -e "s|@DBPASS@|$NOVA_DBPASS|g" \
    -e "s|@KEYSTONE_URL@|http://127.0.0.1:$KEYSTONE_PORT/v3|g" \
    -e "s|@SERVICE_PASSWORD@|$(cat "$NOVA_SERVICE_PASSWORD_FILE")|g" \
    -e "s|@STUB_NEUTRON_PORT@|$STUB_NEUTRON_PORT|g" -e "s|@GLANCE_PORT@|$GLANCE_PORT|g" \
    "$NOVA_SRC/$1" >"$tmp"
  chmod 600 "$tmp"
  if cmp -s "$tmp" "$2"; then rm -f "$tmp"; else mv -f "$tmp" "$2"; fi
}

nova_configure() {
  mkdir -p "$NOVA_DIR"/{etc/nova,etc/placement,etc/glance,wsgi,logs,state/instances,state/lock} \
    "$NOVA_DIR"/state/glance/{images,staging,tasks}
  chmod 700 "$NOVA_DIR/etc"
  [[ -s $NOVA_SERVICE_PASSWORD_FILE ]] ||
    (umask 077 && head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$NOVA_SERVICE_PASSWORD_FILE")
  nova_render nova.conf.in "$NOVA_DIR/etc/nova/nova.conf"
  nova_render nova-api.conf.in "$NOVA_DIR/etc/nova/nova-api.conf"
  nova_render placement.conf.in "$NOVA_DIR/etc/placement/placement.conf"
  nova_render glance-api.conf.in "$NOVA_DIR/etc/glance/glance-api.conf"
  cp -f "$NOVA_VENV/etc/nova/api-paste.ini" "$NOVA_DIR/etc/nova/api-paste.ini"
  cp -f "$NOVA_VENV/etc/glance/glance-api-paste.ini" "$NOVA_DIR/etc/glance/glance-api-paste.ini"
  cp -f "$NOVA_SRC"/wsgi/*.py "$NOVA_SRC/openstack_stub.py" "$NOVA_DIR/wsgi/"
  rm -rf "$NOVA_DIR/wsgi/stubs" && cp -r "$NOVA_SRC/stubs" "$NOVA_DIR/wsgi/stubs"
}

nova_infra() {
  local db
  {
    for db in placement nova_api nova_cell0 nova glance; do
      echo "CREATE DATABASE IF NOT EXISTS $db CHARACTER SET utf8mb3;"
    done
    for host in 127.0.0.1 localhost; do
      echo "CREATE USER IF NOT EXISTS '$NOVA_DBUSER'@'$host' IDENTIFIED BY '$NOVA_DBPASS';"
      for db in placement nova_api nova_cell0 nova glance; do
        echo "GRANT ALL PRIVILEGES ON $db.* TO '$NOVA_DBUSER'@'$host';"
      done
    done
  } | timeout 60 mysql -uroot -h127.0.0.1 || die "MariaDB: creating Nova's databases failed"
  timeout 60 rabbitmqctl -q list_vhosts | grep -qx "$NOVA_VHOST" ||
    timeout 60 rabbitmqctl -q add_vhost "$NOVA_VHOST" >/dev/null
  timeout 60 rabbitmqctl -q set_permissions -p "$NOVA_VHOST" guest '.*' '.*' '.*' >/dev/null
  # Nova's default notification queues grow when nobody consumes them: cap them.
  timeout 60 rabbitmqctl -q set_policy -p "$NOVA_VHOST" --apply-to queues osmon-nova-notif-cap \
    '^(versioned_)?notifications\.' '{"message-ttl":600000,"max-length":1000}' >/dev/null
}

nova_manage() {
  OS_NOVA_DISABLE_EVENTLET_PATCHING=1 timeout 300 "$NOVA_VENV/bin/nova-manage" \
    --config-file "$NOVA_DIR/etc/nova/nova.conf" "$@" >>"$LOGS/nova-manage.log" 2>&1 ||
    die "nova-manage $* failed (log: $LOGS/nova-manage.log)"
}

nova_dbsync() {
  [[ -f $NOVA_DIR/.schema && $(cat "$NOVA_DIR/.schema") == "$(cat "$NOVA_VENV/.osmon-stamp")" ]] &&
    return 0
  log "nova: database sync"
  timeout 300 "$NOVA_VENV/bin/placement-manage" --config-file "$NOVA_DIR/etc/placement/placement.conf" \
    db sync >>"$LOGS/nova-manage.log" 2>&1 || die "placement-manage db sync failed"
  nova_manage api_db sync
  nova_manage cell_v2 map_cell0 --database_connection \
    "mysql+pymysql://$NOVA_DBUSER:$NOVA_DBPASS@127.0.0.1/nova_cell0?charset=utf8"
  if ! OS_NOVA_DISABLE_EVENTLET_PATCHING=1 timeout 120 "$NOVA_VENV/bin/nova-manage" \
    --config-file "$NOVA_DIR/etc/nova/nova.conf" cell_v2 list_cells 2>/dev/null | grep -q ' cell1 '; then
    nova_manage cell_v2 create_cell --name=cell1
  fi
  nova_manage db sync
  timeout 300 "$NOVA_VENV/bin/glance-manage" --config-file "$NOVA_DIR/etc/glance/glance-api.conf" \
    db_sync >>"$LOGS/nova-manage.log" 2>&1 || die "glance-manage db_sync failed"
  cp "$NOVA_VENV/.osmon-stamp" "$NOVA_DIR/.schema"
}

nova_gunicorn() { # NAME PORT MODULE PROBE [ENV=VALUE...]
  local name=$1 port=$2 module=$3 probe=$4
  shift 4
  $probe && return 0
  serve "$name" "$probe" env "$@" "$NOVA_VENV/bin/gunicorn" --chdir "$NOVA_DIR/wsgi" \
    -b "127.0.0.1:$port" -w 1 "${GUNICORN_OPTS[@]}" "$module:application"
}

ensure_nova() {
  nova_install
  nova_configure
  nova_infra
  local deadline=$((SECONDS + READY_TIMEOUT))
  until keystone_up; do
    ((SECONDS < deadline)) || die "nova: Keystone not ready after ${READY_TIMEOUT}s"
    sleep 0.5
  done
  local ks=http://127.0.0.1:$KEYSTONE_PORT/v3 stub=http://127.0.0.1
  timeout 120 "$NOVA_VENV/bin/python" "$NOVA_SRC/keystone_register.py" "$ks" \
    "$KEYSTONE_PASSWORD_FILE" "$NOVA_SERVICE_PASSWORD_FILE" \
    "nova=compute=http://127.0.0.1:$NOVA_PORT/v2.1" "placement=placement=http://127.0.0.1:$PLACEMENT_PORT" \
    "glance=image=http://127.0.0.1:$GLANCE_PORT" "neutron=network=$stub:$STUB_NEUTRON_PORT" \
    "cinderv3=block-storage=$stub:$STUB_CINDER_PORT/v3/%(project_id)s" \
    >>"$LOGS/nova-keystone.log" 2>&1 || die "nova: Keystone registration failed (log: $LOGS/nova-keystone.log)"
  nova_dbsync
  openstack_stub_up || serve openstack-stub openstack_stub_up "$NOVA_VENV/bin/python" \
    "$NOVA_DIR/wsgi/openstack_stub.py" "$STUB_NEUTRON_PORT" "$STUB_CINDER_PORT"
  nova_gunicorn placement-api "$PLACEMENT_PORT" placement_wsgi placement_up \
    OS_PLACEMENT_CONFIG_DIR="$NOVA_DIR/etc/placement"
  nova_gunicorn glance-api "$GLANCE_PORT" glance_wsgi glance_up \
    OS_GLANCE_CONFIG_DIR="$NOVA_DIR/etc/glance"
  # FakeDriverWithoutFakeNodes keeps its node UUID in state/compute_id; if that file is gone
  # while the database still has the node, put it back or nova-compute refuses to start.
  if [[ ! -s $NOVA_DIR/state/compute_id ]]; then
    local uuid
    uuid=$(nova_sql "SELECT uuid FROM compute_nodes WHERE host='$NOVA_HOST' AND deleted=0 LIMIT 1") || true
    [[ -z $uuid ]] || printf '%s' "$uuid" >"$NOVA_DIR/state/compute_id"
  fi
  local name t0 started=()
  t0=$(date -u '+%F %T')
  for name in "${NOVA_RPC[@]}"; do
    alive "$name" && continue
    start_daemon "$name" "$NOVA_VENV/bin/$name" --config-file "$NOVA_DIR/etc/nova/nova.conf"
    started+=("$name")
  done
  for name in "${started[@]}"; do # ready: a heartbeat from the new process
    wait_ready "$name" nova_rpc_up "$name" "$t0"
  done
  for name in "${NOVA_RPC[@]}"; do
    [[ " ${started[*]} " == *" $name "* ]] || wait_ready "$name" nova_rpc_up "$name"
  done
  nova_gunicorn nova-api "$NOVA_PORT" nova_api_wsgi nova_api_up OS_NOVA_CONFIG_DIR="$NOVA_DIR/etc/nova" \
    "OS_NOVA_CONFIG_FILES=api-paste.ini;nova.conf;nova-api.conf"
  if [[ ! -f $NOVA_DIR/.discovered ]]; then
    nova_manage cell_v2 discover_hosts
    touch "$NOVA_DIR/.discovered"
  fi
  if [[ ! -f $NOVA_DIR/.seeded ]]; then
    timeout 120 "$NOVA_VENV/bin/python" "$NOVA_SRC/seed.py" "$ks" "$KEYSTONE_PASSWORD_FILE" \
      >>"$LOGS/nova-keystone.log" 2>&1 || die "nova: flavor/image seeding failed"
    touch "$NOVA_DIR/.seeded"
  fi
}

nova_status_lines() {
  line openstack-stub openstack_stub_up \
    "neutron http://127.0.0.1:$STUB_NEUTRON_PORT, cinder http://127.0.0.1:$STUB_CINDER_PORT (documented bodies)"
  line placement-api placement_up "http://127.0.0.1:$PLACEMENT_PORT"
  line glance-api glance_up "http://127.0.0.1:$GLANCE_PORT"
  line nova-api nova_api_up "http://127.0.0.1:$NOVA_PORT/v2.1 (host $NOVA_HOST, vhost $NOVA_VHOST)"
  local name
  for name in "${NOVA_RPC[@]}"; do
    line "$name" "nova_rpc_running $name" "heartbeat within 30s (log: $NOVA_DIR/logs/$name.log)"
  done
}

nova_env() {
  cat <<ENV
NOVA_URL=http://127.0.0.1:$NOVA_PORT/v2.1
NOVA_HOST=$NOVA_HOST
NOVA_TRANSPORT_URL=rabbit://guest:guest@127.0.0.1:5672/$NOVA_VHOST
NOVA_RPC_PID_DIR=$RUN
NOVA_FLAVOR=fake.tiny
NOVA_IMAGE=fake-image
ENV
}
