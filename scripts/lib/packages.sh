# shellcheck shell=bash
# The Debian packages the tests need, each with the file that shows it is installed. Shared by
# scripts/test (installs what is missing) and scripts/fresh-check (removes them first, so that a
# check on a used machine starts from what a fresh one has). berth's build itself needs
# libseccomp-dev (the sandbox compiles seccomp profiles with libseccomp): build_packages.
# shellcheck disable=SC2034 # used by the scripts that source this file
build_packages=(
  libseccomp-dev:/usr/include/seccomp.h
)
test_packages=(
  "${build_packages[@]}"
  busybox-static:/bin/busybox
  docker-registry:/usr/bin/docker-registry
  skopeo:/usr/bin/skopeo
  docker.io:/usr/sbin/dockerd
  curl:/usr/bin/curl
  procps:/bin/ps
  podman:/usr/bin/podman
)

# Installs every package of the PKG:FILE list given whose FILE is missing.
install_missing_packages() {
  local need=() pkg_file
  for pkg_file in "$@"; do
    [[ -e ${pkg_file#*:} ]] || need+=("${pkg_file%%:*}")
  done
  [[ ${#need[@]} -gt 0 ]] || return 0
  echo "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
}
