# syntax=docker/dockerfile:1
#
# The Hephestus images: a development container (the default target, used by .devcontainer/devcontainer.json)
# and, as an optional target, the orb's default executor with the bundled CLI installed from the packed tarball.
#
#   docker build -t hephestus-dev .                                          # development container
#   docker build --target runner -t hephestus/runner:node24-packer1.6.6 .   # the orb's executor image
#
# Packer comes from Debian bookworm (1.6.6), the version the tests run against the sandbox; Node.js is the current LTS
# (24), at or above the major that package.json's engines names. test/devcontainer/ checks both against the project, since no image is built
# in this repository's CI.

ARG NODE_IMAGE=node:24-bookworm-slim

# --- base: Node.js, Packer and the tools the tests and the orb's scripts call ---
FROM ${NODE_IMAGE} AS base
# The same packages as scripts/install-system-deps.sh, plus what CircleCI's checkout step needs (ssh, CA roots).
# Packer is pinned: its amazon-ebs builder is what the images are built with, and 1.6.6 is what the tests cover.
# The others follow bookworm's security updates, so they are left unpinned on purpose.
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      packer=1.6.6+ds2-1+b1 \
      git \
      shellcheck \
      hyperfine \
      unzip \
      gpg \
      ca-certificates \
      openssh-client \
 && rm -rf /var/lib/apt/lists/*
# Packer phones home for update checks unless told not to; CI jobs have no use for it.
ENV CHECKPOINT_DISABLE=1

# --- cli: builds and packs the CLI from this checkout (the same tarball `npm pack` publishes) ---
FROM base AS cli
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm pack --pack-destination /out

# --- runner: the orb's default executor; the CLI installed globally from the tarball ---
FROM base AS runner
COPY --from=cli /out/ /tmp/hephestus/
# The tarball's name carries the version; the glob avoids repeating it here.
RUN npm install --global --no-audit --no-fund /tmp/hephestus/hephestus-*.tgz \
 && rm -rf /tmp/hephestus \
 && hephestus --version \
 && packer version
USER node
WORKDIR /home/node/project

# --- dev: the development container (default target) ---
FROM base AS dev
USER node
WORKDIR /workspaces/hephestus
CMD ["bash"]
