/** The longest side of a photo a form sends. */
export const PHOTO_MAX_SIDE = 1600;
/** Stay under the packs' usual photo limit (2 MB decoded) with room to spare. */
const PHOTO_MAX_BYTES = 1_800_000;

function loadImage(file: Blob): Promise<HTMLImageElement> {
  const url = URL.createObjectURL(file);
  return new Promise<HTMLImageElement>((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => reject(new Error('image'));
    image.src = url;
  }).finally(() => URL.revokeObjectURL(url));
}

/**
 * A camera picture or image file as a JPEG data URL, at most {@link PHOTO_MAX_SIDE} px on its longest
 * side (the browser applies the EXIF orientation when drawing), lowering the quality until it is small
 * enough to send.
 */
export async function downscalePhoto(file: Blob, maxSide = PHOTO_MAX_SIDE): Promise<string> {
  const image = await loadImage(file);
  const width = image.naturalWidth || image.width;
  const height = image.naturalHeight || image.height;
  if (!width || !height) throw new Error('image');
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const context = canvas.getContext('2d');
  if (!context) throw new Error('canvas');
  // JPEG has no transparency: a white ground instead of black under transparent PNG parts.
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(image, 0, 0, canvas.width, canvas.height);
  let quality = 0.85;
  let url = canvas.toDataURL('image/jpeg', quality);
  while ((url.length * 3) / 4 > PHOTO_MAX_BYTES && quality > 0.35) {
    quality -= 0.15;
    url = canvas.toDataURL('image/jpeg', quality);
  }
  return url;
}
