# mkrepo as a container image, from the binaries `deno task compile` writes into dist/
# (build them first; this file compiles nothing and was not built here: no Docker engine; the
# test and release workflows build it and run scripts/smoke.ts through it).
#
#   deno task compile --target x86_64-unknown-linux-gnu   # and/or aarch64-unknown-linux-gnu
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     --build-arg VERSION="$(jq -r .version deno.json)" -t mkrepo .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/repo:/repo" mkrepo /repo
#   docker run --rm -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY mkrepo s3://bucket/prefix
#
# The image runs as the unprivileged user "nonroot" (uid 65532). A mounted folder belongs to
# you, not to that user: pass `--user "$(id -u):$(id -g)"` so mkrepo can write into it (and the
# files it writes stay yours).
#
# The copy-only stages map Docker's TARGETARCH to the binary's target name; BuildKit builds
# only the stage the platform needs, so dist/ needs just the binaries of the platforms built.
# distroless/cc has what a `deno compile` binary needs: glibc, libgcc and CA certificates (S3).

ARG TARGETARCH=amd64

FROM scratch AS bin-amd64
COPY dist/mkrepo-x86_64-unknown-linux-gnu /mkrepo

FROM scratch AS bin-arm64
COPY dist/mkrepo-aarch64-unknown-linux-gnu /mkrepo

FROM bin-${TARGETARCH} AS bin

FROM gcr.io/distroless/cc-debian12:nonroot
ARG VERSION=0.0.0-dev
ARG SOURCE=https://github.com/mkrepo/mkrepo
LABEL org.opencontainers.image.title="mkrepo" \
      org.opencontainers.image.description="Signed apt and dnf repositories from a folder of .deb/.rpm packages, local or on S3" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="MIT"
COPY --from=bin --chmod=0755 /mkrepo /mkrepo
USER nonroot:nonroot
WORKDIR /repo
ENTRYPOINT ["/mkrepo"]
CMD ["--help"]
