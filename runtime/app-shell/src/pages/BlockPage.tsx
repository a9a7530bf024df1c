import { BlockFrame } from '@shuiyun/web-kit/blocks';
import type { ReactNode } from 'react';
import { useNavigate } from 'react-router-dom';

/** A full-page view built from blocks: their links go through the router. */
export function BlockPage({ children, dark }: { children: ReactNode; dark?: boolean }) {
  const navigate = useNavigate();
  return (
    <BlockFrame ctx={{ navigate: (path) => navigate(path), appBase: '/app', dark }}>
      <div className="sy-shell__page">{children}</div>
    </BlockFrame>
  );
}
