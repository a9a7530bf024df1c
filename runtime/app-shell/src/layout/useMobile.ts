import { useEffect, useState } from 'react';

const QUERY = '(max-width: 767px)';

/** True below 768 px: the drawer menu and bottom bar instead of the side menu. */
export function useMobile(): boolean {
  const [mobile, setMobile] = useState(() => typeof window !== 'undefined' && window.matchMedia(QUERY).matches);
  useEffect(() => {
    const media = window.matchMedia(QUERY);
    const update = () => setMobile(media.matches);
    media.addEventListener('change', update);
    update();
    return () => media.removeEventListener('change', update);
  }, []);
  return mobile;
}
