# The web app's container image, for ECS Fargate (infra/web-fargate.yaml; `make web-image` builds it
# for linux/arm64 and pushes it to the stack's ECR repository). It runs the same recipe as App
# Runner: scripts/web-build at build time, scripts/web-start as its command, which
# tests/infra/test_web_recipe.py checks here and runs in a clean environment. No Docker daemon runs
# in this project's CI, so the image build itself is not exercised there (docs/deploy.md).
#
# Python 3.11 as the managed App Runner runtime and the lock (requirements/main.txt) have it, on
# Debian bookworm. Pinned by digest (a multi-platform index, arm64 and amd64) so that a rebuild of
# the same commit gets the same base; refresh it on purpose for security fixes:
#   docker buildx imagetools inspect python:3.11-slim-bookworm
FROM python:3.11.10-slim-bookworm@sha256:5148c0e4bbb64271bca1d3322360ebf4bfb7564507ae32dd639322e4952a6b16

# A user of its own, without a home or a shell: the app only reads the code and dependencies that
# root installed below, so a compromised process cannot rewrite them.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin photoshare

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /app
# Everything the build context holds (.dockerignore keeps out environments, local data and tests).
COPY . .
RUN bash scripts/web-build

USER photoshare
EXPOSE 8000
CMD ["bash", "scripts/web-start"]
