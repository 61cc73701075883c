# ProCo Studio image. CPU by default; CUDA with --build-arg TORCH_BACKEND=cuda.
#   docker build -t proco-studio .
#   docker run --rm -it -v proco-data:/data proco-studio user add NAME --admin   # once: the first admin
#   docker run -p 127.0.0.1:8080:8080 -v proco-data:/data proco-studio
# The app listens on 0.0.0.0:8080 inside the container, so accounts are on (sign-in required) and
# it answers the host names in AllowedHosts: localhost and 127.0.0.1, i.e. the port published on
# the host's loopback. To serve a lab network, put it behind a TLS reverse proxy and add the name
# browsers use (-e AllowedHosts="studio.lab.example;localhost"); see compose.yaml and the README's
# Security section. Everything (run database with accounts, Hangfire storage, checkpoints,
# datasets) lives under /data, a volume.
ARG TORCH_BACKEND=cpu

# ---- build: SDK + Node.js for the npm front-end libraries -------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TORCH_BACKEND
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Restore first so the package layer is cached while only sources change.
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props ProCo.sln ./
COPY build/ build/
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY src/Training/ProCo.Training.csproj src/Training/
COPY src/Data/ProCo.Data.csproj src/Data/
COPY migrations/ProCo.Migrations.csproj migrations/
COPY migrations/Postgres/ProCo.Migrations.Postgres.csproj migrations/Postgres/
COPY src/Web/ProCo.Web.csproj src/Web/
RUN dotnet restore src/Web/ProCo.Web.csproj -p:TorchBackend=${TORCH_BACKEND}
COPY . .
RUN dotnet publish src/Web/ProCo.Web.csproj -c Release -o /app --no-restore -p:TorchBackend=${TORCH_BACKEND}

# ---- runtime bases ----------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime-cpu

FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 AS runtime-cuda
# The ASP.NET Core runtime, taken from Microsoft's image rather than a distribution feed.
COPY --from=mcr.microsoft.com/dotnet/aspnet:10.0 /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libicu74 \
 && rm -rf /var/lib/apt/lists/*

# ---- final ------------------------------------------------------------------------------
FROM runtime-${TORCH_BACKEND} AS final
# Fashion-MNIST (the embedded default) from the distribution where it packages it; otherwise put
# the IDX files under /data/datasets/fashion-mnist.
RUN apt-get update \
 && (apt-get install -y --no-install-recommends dataset-fashion-mnist \
     || echo "dataset-fashion-mnist is not packaged for this base; mount the IDX files under /data/datasets/fashion-mnist") \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system proco && useradd --system --gid proco --home-dir /data --no-create-home proco \
 && mkdir -p /data /artifacts /datasets && chown proco:proco /data /artifacts /datasets
WORKDIR /app
COPY --from=build /app ./
ENV ProCo__DataDir=/data \
    ProCo__Auth__Enabled=true \
    AllowedHosts="localhost;127.0.0.1" \
    ASPNETCORE_ENVIRONMENT=Production \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
VOLUME /data
EXPOSE 8080
USER proco
ENTRYPOINT ["dotnet", "proco.dll"]
CMD ["serve", "--urls", "http://0.0.0.0:8080"]
