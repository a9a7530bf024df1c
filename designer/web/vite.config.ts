import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The runtime serves the built designer at /designer/; in development Vite proxies the API to it.
export default defineConfig({
  base: '/designer/',
  plugins: [react()],
  server: {
    port: 5173,
    proxy: { '/api': 'http://localhost:3000' },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
});
