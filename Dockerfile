# A minimal image of Sluice: the same image runs the API (`serve --workers 0`) and workers (`worker`).
FROM node:20-bookworm-slim
WORKDIR /app
# better-sqlite3 may need a toolchain when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Scripts wait for the sources: `prepare` (the tsc build) needs them, so the dependencies' own
# install scripts (better-sqlite3's native build) run in `npm rebuild` and the build after COPY.
RUN npm ci --no-audit --no-fund --ignore-scripts && npm rebuild
COPY . .
RUN npm run build && npm prune --omit=dev
ENV NODE_ENV=production SLUICE_HOST=0.0.0.0
EXPOSE 8080
ENTRYPOINT ["node", "bin/sluice.js"]
CMD ["serve"]
