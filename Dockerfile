# A minimal image of Sluice: the same image runs the API (`serve --workers 0`) and workers (`worker`).
FROM node:20-bookworm-slim
WORKDIR /app
# better-sqlite3 may need a toolchain when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json* ./
# `npm install` rather than `npm ci`: npm 11.19 writes a lockfile without Biome's optional
# per-platform packages, which `npm ci` refuses; the locked versions are installed either way.
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev
ENV NODE_ENV=production SLUICE_HOST=0.0.0.0
EXPOSE 8080
ENTRYPOINT ["node", "bin/sluice.js"]
CMD ["serve"]
