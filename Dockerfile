# mkrepo as a container image, from the binaries `deno task compile` writes into dist/
# (build them first; this file compiles nothing and was not built here: no Docker engine).
#
#   deno task compile --target x86_64-unknown-linux-gnu   # and/or aarch64-unknown-linux-gnu
#   docker buildx build --platform linux/amd64,linux/arm64 -t mkrepo .
#   docker run --rm -v "$PWD/repo:/repo" mkrepo /repo
#   docker run --rm -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY mkrepo s3://bucket/prefix
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

FROM gcr.io/distroless/cc-debian12
COPY --from=bin --chmod=0755 /mkrepo /mkrepo
WORKDIR /repo
ENTRYPOINT ["/mkrepo"]
CMD ["--help"]
