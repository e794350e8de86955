// expect TS2345: a progress listener taking a number
import { transcode } from 'ffnode';
transcode('in.mp4', { out: 'vod' }).on('progress', (p: number) => p);
