// expect TS2820: 'superfast2' is not an x264 preset (TypeScript suggests 'superfast')
import { transcode } from 'ffnode';
transcode('in.mp4', { out: 'vod', preset: 'superfast2' });
