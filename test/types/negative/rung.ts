// expect TS2820: '720' is not a rung name (TypeScript suggests '720p')
import { transcode } from 'ffnode';
transcode('in.mp4', { out: 'vod', ladder: ['720'] });
