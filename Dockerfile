# The Roost image: `roost run` (the operator) by default; the same image serves
# `roost loadtester` and every other `roost` command. Deploy it with deploy/kustomize or
# deploy/chart/roost. Build: docker build -t roost:0.1.0 .

# Build a wheel from the sources so the runtime image holds no source tree or build tooling.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY ledger ./ledger
COPY reducers ./reducers
COPY effects ./effects
COPY controller ./controller
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# A fixed numeric id, so Kubernetes can check runAsNonRoot without reading /etc/passwd; the
# manifests run as the same id and give the ledger volume that group.
RUN groupadd --system --gid 10001 roost \
    && useradd --system --uid 10001 --gid roost --home-dir /var/lib/roost --no-create-home \
        --shell /usr/sbin/nologin roost \
    && install -d -o roost -g roost -m 0750 /var/lib/roost
COPY --from=build /wheels /wheels
# postgres: the PostgreSQL ledger of the HA install; loadtester: `roost loadtester`.
RUN pip install --no-cache-dir "$(ls /wheels/roost-*.whl)[postgres,loadtester]" \
    && rm -rf /wheels
WORKDIR /var/lib/roost
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["roost"]
CMD ["run"]
