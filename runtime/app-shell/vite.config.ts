import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** Where `vite dev` / `vite preview` send `/api` (the runtime). */
const runtime = process.env.SHUIYUN_RUNTIME_URL ?? 'http://localhost:3000';

// The app shell is served by the runtime under /app/ (built into dist/).
export default defineConfig({
  base: '/app/',
  plugins: [react()],
  server: { proxy: { '/api': runtime } },
  preview: { proxy: { '/api': runtime } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
  },
});
