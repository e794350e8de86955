// expect TS2345: misspelt event name
import { transcode } from 'ffnode';
transcode('in.mp4', { out: 'vod' }).on('progres', () => {});
